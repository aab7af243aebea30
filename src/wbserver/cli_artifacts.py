"""`wbserver artifacts gc [--dry-run] [--grace SECONDS]`: one garbage-collection pass."""

from __future__ import annotations

import argparse
from typing import Any


def cmd_gc(args: argparse.Namespace) -> int:
    from wbserver.app import build_services
    from wbserver.config.runtime import SettingsSource
    from wbserver.domain.artifact_gc import collect_garbage, describe

    services = build_services(SettingsSource(overrides={"data_dir": args.data_dir}))
    try:
        settings = services.settings
        grace = settings.artifact_gc_grace if args.grace is None else args.grace
        report = collect_garbage(services.store, services.blobs, grace_seconds=grace,
                                 dry_run=args.dry_run)
    finally:
        services.store.close()  # type: ignore[attr-defined]
    print(describe(report))
    return 0


def add_parsers(sub: Any, data_dir: argparse.ArgumentParser) -> None:
    artifacts = sub.add_parser("artifacts", help="artifact storage").add_subparsers(
        dest="artifacts_command", required=True)
    gc = artifacts.add_parser(
        "gc", parents=[data_dir],
        help="free stored artifact content that no committed version references")
    gc.add_argument("--dry-run", action="store_true", help="only report what would be freed")
    gc.add_argument("--grace", type=float, default=None,
                    help="seconds recent content is kept (default $WBSERVER_ARTIFACT_GC_GRACE)")
    gc.set_defaults(func=cmd_gc, raw=True)

