"""`wbserver serve --log-format json`: one JSON object per line for every log record (the
server's own, uvicorn's errors, and with --access-log each request), for log collectors.

An access line: {"time", "level", "logger": "uvicorn.access", "message", "client", "method",
"path", "status", "http_version"}; the query string is left out of "path" (signed URLs and
one-time links carry their credentials there). An error line carries "exc" with the traceback.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name}
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) \
                and len(record.args) == 5:
            client, method, path, version, status = record.args
            path = str(path).split("?", 1)[0]
            entry.update(client=str(client), method=method, path=path, status=int(str(status)),
                         http_version=version, message=f"{method} {path} {status}")
        else:
            entry["message"] = record.getMessage()
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def uvicorn_log_config(log_format: str) -> dict[str, Any] | None:
    """uvicorn's `log_config` for the format; None keeps uvicorn's own (text)."""
    if log_format != "json":
        return None
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": "wbserver.log_format.JsonFormatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": "INFO"},
        "loggers": {"uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
                    "uvicorn.error": {"level": "INFO"},
                    "uvicorn.access": {"handlers": ["default"], "level": "INFO",
                                       "propagate": False}},
    }
