"""`wbserver storage check` and `wbserver storage apply-cors`: the bucket BUCKET names, its
queue, and the CORS rules browsers on HOST need (GET/PUT/HEAD, ETag exposed)."""

from __future__ import annotations

import argparse
from typing import Any

from wbserver.domain.queue_health import queue_line, queue_problem
from wbserver.http.context import Services


def _origin(svc: Services) -> str:
    from wbserver.storage.cors import origin_of

    return origin_of(svc.settings.host)


def storage_check(svc: Services, _args: argparse.Namespace) -> int:
    from wbserver.storage.cors import storage_report

    store = svc.blobs.current()  # type: ignore[attr-defined]
    proxied = svc.settings.storage_proxy
    # HOST names the origin a CORS rule must allow: needed only when browsers reach the bucket
    needs_cors = not proxied and getattr(store, "signed_urls", False)
    lines = storage_report(store, _origin(svc) if needs_cors else "", proxied=proxied)
    ok = not any("does not answer" in line or "CORS: " in line and "can GET" not in line
                 for line in lines)
    if svc.queue is not None:
        queue = svc.queue()
        lines.append(queue_line(queue))
        ok = ok and queue_problem(queue) is None
    print("\n".join(lines))
    return 0 if ok else 1


def storage_apply_cors(svc: Services, _args: argparse.Namespace) -> int:
    from wbserver.storage.cors import apply_cors

    print(apply_cors(svc.blobs.current(), _origin(svc)))  # type: ignore[attr-defined]
    return 0


def add_parsers(sub: Any, data_dir: argparse.ArgumentParser) -> None:
    storage = sub.add_parser("storage", help="file storage (BUCKET, BUCKET_QUEUE)"
                             ).add_subparsers(dest="storage_command", required=True)
    storage.add_parser(
        "check", parents=[data_dir],
        help="reach the bucket and its queue; report whether CORS lets browsers on HOST in"
    ).set_defaults(func=storage_check)
    storage.add_parser(
        "apply-cors", parents=[data_dir],
        help="add the CORS rule browsers on HOST need (GET/PUT/HEAD, ETag exposed)"
    ).set_defaults(func=storage_apply_cors)
