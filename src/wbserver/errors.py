"""The error family the domain raises. No HTTP here: http/errors.py maps them to responses."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager


class Msg(str):
    """An English message that keeps its template and parameters, so that a web page can
    show it in the reader's language (`web/i18n.py` `localized`; the templates are in the
    gettext catalogue). It IS the English text: the API, the CLI and the logs send it as
    it is, and the wandb client parses nothing else. Parameters that are Msgs are
    translated too; others are inserted as they are."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Msg:
        made = super().__new__(cls, template % params if params else template)
        made.template = template
        made.params = params
        return made


class WbError(Exception):
    """Base of every error a client may be shown."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(WbError):
    pass


class AlreadyExists(WbError):
    pass


class InvalidInput(WbError):
    pass


class Conflict(WbError):
    """The request does not fit what is stored (e.g. a file_stream offset past the end)."""


class Unauthenticated(WbError):
    pass


class PermissionDenied(WbError):
    pass


class LimitExceeded(WbError):
    pass


class PayloadTooLarge(InvalidInput):
    pass


class Unavailable(WbError):
    pass


class RateLimited(WbError):
    """Too many requests for a run or a project: try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InsufficientStorage(WbError):
    """The server's disk is full: nothing was stored; the same request may succeed later."""


class ConfigError(WbError):
    pass


DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


@contextmanager
def disk_full_refused(what: str) -> Iterator[None]:
    """Turns 'no space left on device' (or over quota) while doing `what` into
    InsufficientStorage; other OS errors pass unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        raise InsufficientStorage(f"the server's disk is full: {what} was not stored (an "
                                  "operator must free space; the same request can then be sent "
                                  "again)") from exc
