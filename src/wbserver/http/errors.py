"""One place that turns domain errors into HTTP statuses and GraphQL-style bodies."""

from __future__ import annotations

from starlette.responses import JSONResponse

from wbserver import errors

_STATUS: tuple[tuple[type[errors.WbError], int], ...] = (
    (errors.Unauthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.AlreadyExists, 409),
    (errors.Conflict, 409),
    (errors.PayloadTooLarge, 413),
    (errors.InvalidInput, 400),
    (errors.LimitExceeded, 403),
    (errors.RateLimited, 429),
    (errors.InsufficientStorage, 507),
    (errors.Unavailable, 503),
    (errors.ConfigError, 500),
)


def status_for(exc: BaseException) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_response(exc: errors.WbError, status: int | None = None) -> JSONResponse:
    """The body the wandb client reads: errors[0].message (plus `error` for REST callers);
    a 429 says when to come back (Retry-After, which the client honours)."""
    headers = ({"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.RateLimited)
               else None)
    return JSONResponse({"errors": [{"message": exc.message}], "error": exc.message},
                        status_code=status or status_for(exc), headers=headers)
