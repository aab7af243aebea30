"""The error family the domain raises. No HTTP here: api/errors.py maps them to responses."""

from __future__ import annotations


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


class ConfigError(WbError):
    pass
