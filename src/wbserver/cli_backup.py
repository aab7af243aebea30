"""`wbserver backup DEST`, `wbserver backup --verify DEST` and `wbserver restore SRC`: a
consistent copy of a serving server (database, the data folder's files, secret.key), with a
progress bar and checksums (docs/backup.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from wbserver.config import Settings
from wbserver.config.runtime import SettingsSource
from wbserver.errors import ConfigError
from wbserver.ports import DatabaseBackup


class TqdmProgress:
    """ports.BackupProgress as tqdm bars on stderr (silent when QUIET)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.bar: Any = None

    def phase(self, what: str, total: int | None = None, unit: str = "") -> None:
        from tqdm import tqdm

        self.close()
        if not self.quiet:
            scale = unit == "B"
            self.bar = tqdm(total=total, desc=what, unit=unit or "it", unit_scale=scale,
                            unit_divisor=1024 if scale else 1000, file=sys.stderr,
                            dynamic_ncols=True, leave=True)

    def advance(self, amount: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(amount)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _settings(args: argparse.Namespace) -> Settings:
    return SettingsSource(overrides={"data_dir": args.data_dir}).startup


def _database(settings: Settings) -> DatabaseBackup:
    if settings.mysql:
        from wbserver.metadata.backup_mysql import MysqlBackup

        return MysqlBackup(settings.database_url)
    if settings.postgres:
        from wbserver.metadata.backup_mysql import PostgresBackup

        return PostgresBackup(settings.database_url)
    from wbserver.metadata.backup_sqlite import SqliteBackup

    return SqliteBackup(Path(settings.data_dir) / "wbserver.sqlite")


def _local_files(settings: Settings) -> Any:
    from wbserver.storage.local import LocalBlobStore
    from wbserver.storage.signing import UrlSigner

    return LocalBlobStore(settings.files_dir, UrlSigner(b"backup: no URLs are signed"))


def cmd_backup(args: argparse.Namespace) -> int:
    from wbserver import __version__
    from wbserver.domain.backup import make_backup
    from wbserver.domain.backup_manifest import verify

    progress = TqdmProgress(args.quiet)
    dest = Path(args.dest)
    if args.verify:
        problems = verify(dest, progress)
        progress.close()
        return _verdict(dest, problems)
    settings = _settings(args)
    secret_file = None if settings.secret_key else Path(settings.data_dir) / "secret.key"
    if secret_file is not None and not secret_file.is_file():
        raise ConfigError(f"there is no {secret_file}: is {settings.data_dir} a server's "
                          "data folder? (--data-dir or WBSERVER_DATA_DIR)")
    database = _database(settings)
    try:
        report = make_backup(database=database, read_blob=_local_files(settings).open_read,
                             secret_file=secret_file, dest=dest, progress=progress,
                             server_version=__version__)
    finally:
        progress.close()
        getattr(database, "close", lambda: None)()
    manifest = report.manifest
    print(f"backed up the {manifest.database} database (schema {manifest.revision}) and "
          f"{report.copied} files ({report.copied_bytes} bytes) into {dest}", file=sys.stderr)
    for key in manifest.missing:
        print(f"note: {key} was deleted before it was copied (garbage collected)", file=sys.stderr)
    for store, count in sorted(manifest.elsewhere.items()):
        print(f"note: {count} files are in {store}: back them up on the bucket's side "
              "(docs/backup.md)", file=sys.stderr)
    if secret_file is None:
        print("note: the secret key comes from WBSERVER_SECRET_KEY and is not in the backup; "
              "keep it with the backup", file=sys.stderr)
    return _verdict(dest, report.problems)


def _verdict(dest: Path, problems: list[str]) -> int:
    for problem in problems:
        print(f"wbserver: {problem}", file=sys.stderr)
    if problems:
        print(f"wbserver: the backup in {dest} fails verification", file=sys.stderr)
        return 1
    print(f"the backup in {dest} verifies: every file matches its checksum", file=sys.stderr)
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from wbserver.domain.backup import restore_backup

    settings = _settings(args)
    progress = TqdmProgress(args.quiet)
    database = _database(settings)
    try:
        report = restore_backup(source=Path(args.src), database=database,
                                write_blob=_local_files(settings).write,
                                data_dir=Path(settings.data_dir), force=args.force,
                                progress=progress)
    finally:
        progress.close()
        getattr(database, "close", lambda: None)()
    manifest = report.manifest
    target = settings.server_database or settings.data_dir
    print(f"restored the backup of {manifest.created_at} ({manifest.database}, schema "
          f"{manifest.revision}, {report.files} files) into {target}", file=sys.stderr)
    if manifest.secret_key == "environment":
        print("note: the backup's server took its secret key from WBSERVER_SECRET_KEY: set the "
              "same value here, or stored secrets (Slack, bucket, SSO) cannot be read",
              file=sys.stderr)
    return 0


def cmd_export(svc: Any, args: argparse.Namespace) -> int:
    from wbserver.domain.project_transfer import export_project
    from wbserver.metadata.project_transfer import ProjectTransferRows

    progress = TqdmProgress(args.quiet)
    try:
        report = export_project(rows=ProjectTransferRows(svc.store.engine),
                                read_blob=svc.blobs.open_read, path=args.project,
                                dest=Path(args.dest), progress=progress)
    finally:
        progress.close()
    print(f"exported {report.entity}/{report.project} ({report.files} files) into {args.dest}",
          file=sys.stderr)
    for key in report.missing:
        print(f"note: {key} is named by a row but not stored; left out", file=sys.stderr)
    return 0


def cmd_import(svc: Any, args: argparse.Namespace) -> int:
    from wbserver.domain.project_transfer import import_project
    from wbserver.metadata.project_transfer import ProjectTransferRows

    progress = TqdmProgress(args.quiet)
    try:
        report = import_project(rows=ProjectTransferRows(svc.store.engine),
                                write_blob=svc.blobs.write, store=svc.blobs.name,
                                source=Path(args.src), entity=args.entity, progress=progress)
    finally:
        progress.close()
    print(f"imported {report.entity}/{report.project} ({report.files} files)", file=sys.stderr)
    return 0


def add_parsers(sub: Any, data_dir: argparse.ArgumentParser) -> None:
    backup = sub.add_parser(
        "backup", parents=[data_dir],
        help="copy the database, the data folder's files and secret.key into a new folder "
             "while the server runs (docs/backup.md)")
    backup.add_argument("dest", help="a new (or empty) folder")
    backup.add_argument("--verify", action="store_true",
                        help="only check an existing backup in DEST against its checksums")
    backup.add_argument("--quiet", action="store_true", help="no progress bars")
    backup.set_defaults(func=cmd_backup, raw=True)
    restore = sub.add_parser(
        "restore", parents=[data_dir],
        help="restore a backup into an empty data folder (and MYSQL or POSTGRES database); stop the "
             "server first")
    restore.add_argument("src", help="a folder made by `wbserver backup`")
    restore.add_argument("--force", action="store_true",
                         help="replace the database, files and secret.key already there")
    restore.add_argument("--quiet", action="store_true", help="no progress bars")
    restore.set_defaults(func=cmd_restore, raw=True)
    export = sub.add_parser(
        "export", parents=[data_dir],
        help="write one project (runs, history, files, artifacts) into a new folder, for "
             "`wbserver import` on another server")
    export.add_argument("--project", required=True, metavar="ENTITY/PROJECT")
    export.add_argument("dest", help="a new (or empty) folder")
    export.add_argument("--quiet", action="store_true", help="no progress bars")
    export.set_defaults(func=cmd_export)
    imp = sub.add_parser("import", parents=[data_dir],
                         help="add a project written by `wbserver export` to this server")
    imp.add_argument("src", help="a folder made by `wbserver export`")
    imp.add_argument("--entity", help="the user or team to own it (default: the one it had)")
    imp.add_argument("--quiet", action="store_true", help="no progress bars")
    imp.set_defaults(func=cmd_import)
