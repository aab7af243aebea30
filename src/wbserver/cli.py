"""The `wbserver` command: serve, db upgrade, users, keys, teams, license, settings."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from wbserver.config.runtime import SettingsSource
from wbserver.errors import ConfigError, WbError

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
DRAIN_SECONDS = 25.0  # SIGTERM: in-flight requests get this long to finish


class UsageError(Exception):
    """Bad command-line input: one line on stderr, exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1 to 65535)")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 to 64)")
    return int(text)


def _log_level(text: str) -> str:
    if text.lower() not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a log level ({', '.join(LOG_LEVELS)})")
    return text.lower()


def _source(args: argparse.Namespace) -> SettingsSource:
    source = SettingsSource(overrides={"data_dir": getattr(args, "data_dir", None)})
    startup = source.startup
    if startup.server_database and startup.bucket and startup.secret_key:
        return source  # nothing is kept in the data folder: it may be missing or read-only
    named = {"command line": "--data-dir", "environment": "WBSERVER_DATA_DIR"}.get(
        source.origin("data_dir"), "the data folder")
    check_data_dir(startup.data_dir, named)
    return source


def check_data_dir(path: str, named: str) -> None:
    """The data folder exists (or can be made) and takes new files, or UsageError."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{named} {path} is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise UsageError(f"{named} {path} cannot be used: {exc.strerror or exc}") from None


def _services(args: argparse.Namespace) -> Any:
    from wbserver.app import build_services

    return build_services(_source(args))


def cmd_serve(args: argparse.Namespace) -> int:
    from wbserver.app import create_app
    from wbserver.config.listening import note_listening
    from wbserver.http_server import serve
    from wbserver.log_format import uvicorn_log_config

    try:
        source = _source(args)
        if args.workers > 1 and not source.startup.server_database:
            raise ConfigError(
                f"--workers {args.workers} needs MYSQL or POSTGRES (a MySQL, MariaDB or "
                f"PostgreSQL database): the SQLite database of the data folder takes one "
                f"server process only; set MYSQL=mysql://USER:PASSWORD@HOST:3306/DATABASE or "
                f"POSTGRES=postgresql://USER:PASSWORD@HOST:5432/DATABASE, or serve without "
                f"--workers")
        app = create_app(source, bind_host=args.host)
    except ConfigError as exc:  # a bad setting: one line, and the exit code of a usage error
        print(f"wbserver: {exc.message}", file=sys.stderr)
        return 2
    note_listening(source.startup.data_dir, args.host, args.port)
    print(f"wbserver: data in {source.startup.data_dir}; listening on "
          f"http://{args.host}:{args.port}", file=sys.stderr)
    log_format = args.log_format or source.startup.log_format
    config: dict[str, object] = dict(
        host=args.host, port=args.port, log_level=args.log_level, access_log=args.access_log,
        timeout_keep_alive=30, timeout_graceful_shutdown=DRAIN_SECONDS,
        **({"log_config": log_config} if (log_config := uvicorn_log_config(log_format)) else {}))
    if args.workers > 1:
        return serve_workers(app, source, args, config)
    tune_gc()
    serve(app, **config)
    return 0


def serve_workers(app: Any, source: SettingsSource, args: argparse.Namespace,
                  config: dict[str, object]) -> int:
    """The parent of `--workers N`: it made the app once (migrations, storage checks, the
    setup link); the processes make their own."""
    from functools import partial

    import uvicorn

    from wbserver.app import worker_app
    from wbserver.http_workers import supervise

    app.state.services.store.close()
    factory = partial(worker_app, source.overrides.get("data_dir"), args.host)
    return supervise(uvicorn.Config(factory, factory=True, **config),  # type: ignore[arg-type]
                     args.workers, say=lambda line: print(line, file=sys.stderr))


def tune_gc() -> None:
    """The server's own objects (schema, SQL statements, modules) live as long as the process:
    freeze them so that full collections do not walk them again on every big request, and
    collect the young generation less often (request data is freed by reference counting).
    No full collection first: at this point it finds no garbage (0 unreachable objects,
    measured) and walking the ~110,000 objects cost a tenth of the start."""
    import gc

    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    _services(args).store.close()
    print("database is at the newest schema", file=sys.stderr)
    return 0


def cmd_settings_show(args: argparse.Namespace) -> int:
    from wbserver.config.admin import describe

    services = _services(args)
    for row in describe(services.settings_source):
        lock = " (locked)" if row.locked else ""
        print(f"{row.env}\t{row.shown}\t{row.origin}{lock}")
    return 0


def cmd_settings_docs(_args: argparse.Namespace) -> int:
    from wbserver.config import settings_table

    print(settings_table())
    return 0


def parser() -> argparse.ArgumentParser:
    from wbserver import cli_accounts

    data_dir = Parser(add_help=False)
    data_dir.add_argument("--data-dir", help="data folder (default $WBSERVER_DATA_DIR or ~/.wbserver)")
    root = Parser(prog="wbserver", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[data_dir], help="run the server")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (0.0.0.0: every interface)")
    serve.add_argument("--port", type=_port, default=8080, help="TCP port to listen on")
    serve.add_argument("--log-level", type=_log_level, default="info",
                       help="critical, error, warning, info (default), debug or trace")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument("--workers", type=_workers, default=1,
                       help="server processes sharing the port (default 1); more than 1 needs "
                            "MYSQL or POSTGRES (see docs/deployment.md, Scaling out)")
    serve.add_argument("--log-format", choices=("text", "json"), default=None,
                       help="text (default, or $WBSERVER_LOG_FORMAT) or json: one JSON object "
                            "a line for server, error and access logs")
    serve.set_defaults(func=cmd_serve, raw=True)

    db = sub.add_parser("db", help="database").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", parents=[data_dir], help="apply migrations").set_defaults(
        func=cmd_db_upgrade, raw=True)

    cli_accounts.add_parsers(sub, data_dir)

    settings = sub.add_parser("settings", help="settings").add_subparsers(dest="sub", required=True)
    settings.add_parser("show", parents=[data_dir], help="every setting, its value and origin"
                        ).set_defaults(func=cmd_settings_show, raw=True)
    settings.add_parser("docs", help="the settings table of docs/operators.md").set_defaults(
        func=cmd_settings_docs, raw=True)

    from wbserver import cli_artifacts

    cli_artifacts.add_parsers(sub, data_dir)
    from wbserver import cli_storage

    cli_storage.add_parsers(sub, data_dir)
    from wbserver import cli_backup

    cli_backup.add_parsers(sub, data_dir)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if getattr(args, "raw", False):
            return int(args.func(args))
        if getattr(args, "no_services", False):
            return int(args.func(None, args))
        services = _services(args)
        try:
            return int(args.func(services, args))
        finally:
            services.store.close()
    except WbError as exc:
        print(f"wbserver: {exc.message}", file=sys.stderr)
        return 1
    except UsageError as exc:
        print(f"wbserver: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
