"""How BUCKET_QUEUE is doing, in one line: for /system-admin, /readyz and `storage check`."""

from __future__ import annotations

from wbserver.errors import ConfigError
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
        return (f"BUCKET_QUEUE {queue.name} does not answer: {problem}. Files are still "
                f"recorded when clients report them uploaded, and by the periodic "
                f"reconciliation (WBSERVER_BUCKET_RECONCILE_INTERVAL).")
    if getattr(queue, "notify", None) is not None:
        return (f"BUCKET_QUEUE {queue.name} answers. It carries no bucket events: files are "
                f"recorded when clients report them uploaded, and by the periodic "
                f"reconciliation.")
    return f"BUCKET_QUEUE {queue.name} answers."
