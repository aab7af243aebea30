"""CORS rules a bucket needs so browsers on HOST can GET/PUT/HEAD and read the ETag."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from wbserver.errors import ConfigError, Msg

NEEDED_METHODS = ("GET", "HEAD", "PUT")


@dataclass(frozen=True)
class CorsRule:
    origins: tuple[str, ...]
    methods: tuple[str, ...]
    headers: tuple[str, ...] = ("*",)
    expose: tuple[str, ...] = ("ETag",)
    max_age: int = 3600


def origin_of(host: str) -> str:
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError("HOST must be set to the server's external URL (e.g. "
                          "https://wandb.example.com) to check or apply CORS rules")
    return f"{parts.scheme}://{parts.netloc}"


def needed_rule(origin: str) -> CorsRule:
    return CorsRule(origins=(origin,), methods=NEEDED_METHODS)


def cors_problems(rules: list[CorsRule], origin: str) -> list[str]:
    """What keeps browsers on `origin` from using the bucket (empty: nothing)."""
    matching = [r for r in rules if origin in r.origins or "*" in r.origins]
    if not matching:
        return [f"no CORS rule allows the origin {origin}"]
    problems = []
    methods = {m.upper() for r in matching for m in r.methods}
    missing = [m for m in NEEDED_METHODS if m not in methods]
    if missing:
        problems.append(f"the rules for {origin} do not allow {', '.join(missing)}")
    headers = {h.lower() for r in matching for h in r.headers}
    if "*" not in headers and "content-type" not in headers:
        problems.append("the rules do not allow request headers (need * or Content-Type)")
    exposed = {h.lower() for r in matching for h in r.expose}
    if "etag" not in exposed and "*" not in exposed:
        problems.append("the rules do not expose the ETag header")
    return problems


def describe(rules: list[CorsRule], origin: str) -> str:
    problems = cors_problems(rules, origin)
    if not problems:
        return Msg("CORS: browsers on %(origin)s can GET, PUT and HEAD and see ETag",
                   origin=origin)
    return Msg("CORS: %(reason)s", reason="; ".join(problems))


def storage_report(store: object, origin: str, *, proxied: bool) -> list[str]:
    """Lines for `wbserver storage check` and /system-admin: where files go, and whether
    browsers on `origin` may use the bucket directly."""
    lines: list[str] = [Msg("Files are stored in %(name)s.", name=getattr(store, "name", "?"))]
    try:
        getattr(store, "check", lambda: None)()
        lines.append(Msg("The store answers."))
    except ConfigError as exc:
        return [*lines, Msg("The store does not answer: %(reason)s", reason=exc.message)]
    if proxied or not getattr(store, "signed_urls", False):
        return [*lines, Msg("Clients reach the bytes through this server: no CORS rule is "
                            "needed.")]
    get_cors = getattr(store, "get_cors", None)
    if get_cors is None:
        return [*lines, Msg("CORS: this store cannot report its rules.")]
    try:
        rules = get_cors()
    except ConfigError as exc:
        return [*lines, Msg("CORS: %(reason)s", reason=exc.message)]
    except Exception as exc:  # an SDK error the backend did not translate
        return [*lines, Msg("CORS: could not read the rules: %(reason)s", reason=str(exc))]
    return [*lines, describe(rules, origin)]


def apply_cors(store: object, origin: str) -> str:
    """Add the rule browsers on `origin` need (other rules are kept)."""
    get_cors, set_cors = getattr(store, "get_cors", None), getattr(store, "set_cors", None)
    if get_cors is None or set_cors is None:
        return f"{getattr(store, 'name', '?')} is served by this server: no CORS rule needed"
    rules = get_cors()
    if not cors_problems(rules, origin):
        return f"nothing to do: {describe(rules, origin)}"
    set_cors([*rules, needed_rule(origin)])
    return describe(get_cors(), origin)
