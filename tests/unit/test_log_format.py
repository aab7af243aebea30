"""`--log-format json`: one JSON object a line; access lines without their query string."""

from __future__ import annotations

import json
import logging
import sys

from wbserver.cli import parser
from wbserver.log_format import JsonFormatter, uvicorn_log_config


def record(name: str, msg: str, args: tuple[object, ...], exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            info = sys.exc_info()
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args, info)


def test_an_access_line_is_json_without_the_query_string():
    line = JsonFormatter().format(record(
        "uvicorn.access", '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:5123", "GET", "/storage/k?exp=1&sig=secret", "1.1", 200)))
    entry = json.loads(line)
    assert entry["path"] == "/storage/k" and "secret" not in line
    assert (entry["method"], entry["status"], entry["client"]) == ("GET", 200, "10.0.0.7:5123")
    assert entry["logger"] == "uvicorn.access" and entry["level"] == "info"


def test_an_error_line_carries_its_traceback():
    entry = json.loads(JsonFormatter().format(record("wbserver.x", "failed %s", ("x",), True)))
    assert entry["message"] == "failed x" and "ValueError: boom" in entry["exc"]


def test_the_flag_and_its_config():
    args = parser().parse_args(["serve", "--log-format", "json", "--log-level", "debug"])
    assert args.log_format == "json" and args.log_level == "debug"
    assert uvicorn_log_config("text") is None
    config = uvicorn_log_config("json")  # applied by the live server in tests/e2e/test_metrics.py
    assert config is not None and config["formatters"]["json"]["()"].endswith(".JsonFormatter")
