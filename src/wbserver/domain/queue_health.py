"""How BUCKET_QUEUE is doing, in one line: for /system-admin, /readyz and `storage check`."""

from __future__ import annotations

from wbserver.errors import ConfigError, Msg
from wbserver.ports import EventQueue


def queue_problem(queue: EventQueue) -> str | None:
    """None when the queue answers, else what is wrong (the service's own message)."""
    try:
        queue.check()
    except ConfigError as exc:
        return exc.message
    except Exception as exc:  # noqa: BLE001 - an SDK error the backend did not translate
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


def queue_line(queue: EventQueue) -> str:
    problem = queue_problem(queue)
    if problem is not None:
        return Msg("BUCKET_QUEUE %(queue)s does not answer: %(reason)s. Files are still "
                   "recorded when clients report them uploaded, and by the periodic "
                   "reconciliation (WBSERVER_BUCKET_RECONCILE_INTERVAL).",
                   queue=queue.name, reason=problem)
    if getattr(queue, "notify", None) is not None:
        return Msg("BUCKET_QUEUE %(queue)s answers. It carries no bucket events: files are "
                   "recorded when clients report them uploaded, and by the periodic "
                   "reconciliation.", queue=queue.name)
    return Msg("BUCKET_QUEUE %(queue)s answers.", queue=queue.name)
