"""The types a setting's text is parsed into: each takes the raw text and returns the value,
or raises ValueError saying what is wrong and what a good value looks like."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit


def boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean, got {text!r}")


def http_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http(s) URL such as https://login.example.com/")
    return text.strip()


def host_url(text: str) -> str:
    """HOST: scheme and host (and port), nothing after them but an optional '/'."""
    value = text.strip()
    example = "expected the server's external URL, like https://wandb.example.com or http://10.0.0.5:8080"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or "://" not in value:
        hint = f" (did you mean http://{value}?)" if "://" not in value and value else ""
        raise ValueError(f"it names no http:// or https:// scheme{hint}; {example}")
    if not parts.hostname:
        raise ValueError(f"it names no host; {example}")
    if "@" in parts.netloc:
        raise ValueError(f"it may not carry a user name or password; {example}")
    try:
        parts.port  # noqa: B018 - a port that is not a number in 0-65535 raises
    except ValueError:
        raise ValueError(f"its port is not a number from 1 to 65535; {example}") from None
    if parts.path not in ("", "/"):
        raise ValueError(f"it may not have a path ({parts.path!r}): wbserver is served "
                         f"from the root of its host; {example}")
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ValueError(f"it may not have a query or fragment; {example}")
    return value.rstrip("/")


def pattern(regex: str, example: str) -> Callable[[str], str]:
    """A value that must look right, e.g. a Slack client id (digits.digits)."""
    compiled = re.compile(regex)

    def parse(text: str) -> str:
        if not compiled.fullmatch(text.strip()):
            raise ValueError(f"this does not look like one; expected e.g. {example}")
        return text.strip()
    return parse


def choice(*options: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip().lower() not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return text.strip().lower()
    return parse


def redirect_path(text: str) -> str:
    value = text.strip()
    if value not in ("", "/", "/oidc/callback"):
        raise ValueError("expected / or /oidc/callback (or empty: chosen by the provider setting)")
    return value


def store_uri(text: str) -> str:
    from wbserver.backends import STORES

    return known_scheme(text, STORES.schemes(), "BUCKET=s3://my-bucket/wandb")


def queue_uri(text: str) -> str:
    from wbserver.backends import QUEUES

    return known_scheme(text, QUEUES.schemes(), "BUCKET_QUEUE=sqs://wandb-file-events")


def publisher_uri(text: str) -> str:
    from wbserver.backends import PUBLISHERS

    return known_scheme(text, PUBLISHERS.schemes(), "NOTIFICATIONS_QUEUE=sqs://wandb-run-events")


def known_scheme(text: str, schemes: list[str], example: str) -> str:
    value = text.strip()
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in schemes:
        known = ", ".join(f"{s}://" for s in schemes)
        raise ValueError(f"unknown scheme {scheme!r}; known schemes: {known}; "
                         f"for example {example}")
    return value


_REGION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def region_names(text: str) -> str:
    """WBSERVER_STORAGE_REGIONS: comma-separated region names, kept as `a,b` (no blanks)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    for name in names:
        if not _REGION.fullmatch(name):
            raise ValueError(f"{name[:64]!r} is not a region name: 1-64 letters, digits, "
                             f"'.', '_' or '-', e.g. minio-local,us-east-1")
    return ",".join(dict.fromkeys(names))


def positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value


def non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError("must be 0 or more")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be greater than 0")
    return value
