"""The settings registry: every setting is declared once, here.

Resolution order: explicit override (CLI flag) > environment > default. Values saved from the
/system-admin page slot in between environment and default once that page exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from wbserver.config import value_types as vt
from wbserver.config.database_urls import mysql_url, postgres_url
from wbserver.errors import ConfigError


def _default_data_dir() -> str:
    return str(Path.home() / ".wbserver")


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    type: Callable[[str], Any]
    default: Any
    help: str
    section: str = "general"
    secret: bool = False
    env_only: bool = False  # needed before the database opens: not editable on the page




SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "WBSERVER_DATA_DIR", str, None,
            "Folder for the embedded SQLite database and the local file store "
            "(default: ~/.wbserver).", section="storage", env_only=True),
    Setting("mysql", "MYSQL", lambda text: (mysql_url(text), text)[1], "",
            "MySQL/MariaDB for the metadata, as mysql://USER:PASSWORD@HOST:PORT/DATABASE. "
            "Empty: the embedded SQLite database in the data folder.", section="database",
            secret=True, env_only=True),
    Setting("postgres", "POSTGRES", lambda text: (postgres_url(text), text)[1], "",
            "PostgreSQL for the metadata, as postgresql://USER:PASSWORD@HOST:5432/DATABASE "
            "(instead of MYSQL: set one of the two). Empty: the embedded SQLite database in "
            "the data folder, or MYSQL.", section="database", secret=True, env_only=True),
    Setting("host", "HOST", vt.host_url, "",
            "The external URL of this server, e.g. https://wandb.example.com: http:// or "
            "https://, the host and an optional port, no path. Every absolute URL the server "
            "emits uses it; empty means the request's own host.", section="host"),
    Setting("heartbeat_timeout", "WBSERVER_HEARTBEAT_TIMEOUT", vt.positive_float, 300.0,
            "Seconds a running run may go without any file_stream request before it is "
            "marked crashed (the client sends a heartbeat every 30 s).", section="runs"),
    Setting("crash_check_interval", "WBSERVER_CRASH_CHECK_INTERVAL", vt.positive_float, 30.0,
            "Seconds between two checks for runs whose heartbeat went stale.", section="runs"),
    Setting("lease_seconds", "WBSERVER_LEASE_SECONDS", vt.positive_float, 30.0,
            "Background jobs (crash detection, the BUCKET_QUEUE consumer, bucket "
            "reconciliation, artifact GC, the sweep controller) run in one server process "
            "at a time, the holder of a lease in the database renewed every third of this "
            "many seconds; when its process dies, another takes the job within this time and "
            "one renewal more. Hosts' clocks must agree to well within it (NTP).",
            section="runs", env_only=True),
    Setting("sweep_check_interval", "WBSERVER_SWEEP_CHECK_INTERVAL", vt.positive_float, 5.0,
            "Seconds between two passes of the sweep controller over the running sweeps "
            "(Hyperband early termination); agents get their next run at their heartbeat.",
            section="runs"),
    Setting("max_request_bytes", "WBSERVER_MAX_REQUEST_BYTES", vt.positive_int, 64 * 1024 * 1024,
            "Largest file_stream request body accepted, as sent and after gzip decoding (the "
            "client sends about 10 MiB at most); more gets 413 naming the limit.",
            section="limits"),
    Setting("max_graphql_bytes", "WBSERVER_MAX_GRAPHQL_BYTES", vt.positive_int, 8 * 1024 * 1024,
            "Largest GraphQL request body accepted, as sent and after gzip decoding; more "
            "gets 413 naming the limit.", section="limits"),
    Setting("max_upload_bytes", "WBSERVER_MAX_UPLOAD_BYTES", vt.positive_int, 1024 ** 4,
            "Largest file a client may PUT to the server's /storage route (local disk or "
            "storage proxy); the bytes are streamed to disk, never held in memory.",
            section="limits"),
    Setting("rate_limit_run", "WBSERVER_RATE_LIMIT_RUN", vt.non_negative_float, 10.0,
            "file_stream requests a second per run (bursts of one second's worth); more get "
            "429 with Retry-After, and the client waits and resends. 0: no limit. Counted "
            "in each server process.", section="limits"),
    Setting("rate_limit_project", "WBSERVER_RATE_LIMIT_PROJECT", vt.non_negative_float, 500.0,
            "Requests a second per project: file_stream, and GraphQL requests whose variables "
            "name the project (bursts of one second's worth); more get 429 with Retry-After. "
            "0: no limit. Counted in each server process.", section="limits"),
    Setting("upload_url_ttl", "WBSERVER_UPLOAD_URL_TTL", vt.positive_int, 24 * 3600,
            "Seconds a signed upload URL stays valid.", section="storage"),
    Setting("download_url_ttl", "WBSERVER_DOWNLOAD_URL_TTL", vt.positive_int, 3600,
            "Seconds a signed download URL stays valid.", section="storage"),
    Setting("bucket", "BUCKET", vt.store_uri, "",
            "Where file bytes live: s3://BUCKET[/PREFIX], s3://ACCESS:SECRET@HOST[:PORT]/BUCKET"
            "[?tls=true] (S3-compatible), gs://BUCKET[/PREFIX], az://ACCOUNT/CONTAINER[/PREFIX]. "
            "Empty: the data folder's files/ on the local disk.", section="storage",
            secret=True),
    Setting("bucket_queue", "BUCKET_QUEUE", vt.queue_uri, "",
            "Where the bucket's object-created events arrive: sqs://QUEUE, "
            "pubsub:/PROJECT/TOPIC/SUBSCRIPTION, az://ACCOUNT/QUEUE, or internal:// (the "
            "server checks the bucket itself). Empty: internal://.", section="storage",
            secret=True),
    Setting("aws_region", "AWS_REGION", str, "",
            "AWS region of the S3 bucket and SQS queue, e.g. us-east-1 (credentials come from "
            "the standard AWS chain).", section="storage"),
    Setting("azure_storage_key", "AZURE_STORAGE_KEY", str, "",
            "Access key of the Azure storage account named in BUCKET and BUCKET_QUEUE.",
            section="storage", secret=True),
    Setting("storage_proxy", "WBSERVER_STORAGE_PROXY", vt.boolean, False,
            "Stream uploads and downloads through the server instead of handing clients "
            "signed bucket URLs (for networks where clients cannot reach the bucket).",
            section="storage"),
    Setting("storage_regions", "WBSERVER_STORAGE_REGIONS", vt.region_names, "",
            "Comma-separated storage region names the client may ask for (an artifact's "
            "storage_region, e.g. minio-local): all of them are the one bucket of BUCKET; the "
            "name is kept in the artifact's manifest. Empty: an artifact naming any region "
            "is refused.", section="storage"),
    Setting("bucket_reconcile_interval", "WBSERVER_BUCKET_RECONCILE_INTERVAL",
            vt.non_negative_float, 300.0,
            "Seconds between two checks of the bucket for run files whose object-created "
            "event never came (0: off).", section="storage"),
    Setting("secret_key", "WBSERVER_SECRET_KEY", str, "",
            "Key for signing URLs and sessions. Empty: a random key is made once and kept in "
            "the data folder. Several server processes must share the same key.",
            section="security", secret=True, env_only=True),
    Setting("license", "LICENSE", str, "",
            "The license token. Without one at most 4 users are active and SSO is off.",
            section="license", secret=True),
    Setting("license_public_keys", "WBSERVER_LICENSE_PUBLIC_KEYS", str, "",
            "Comma-separated Ed25519 public keys (base64url) whose licenses this server "
            "trusts, e.g. the output of `wbserver license keygen`.", section="license"),
    Setting("trusted_proxies", "WBSERVER_TRUSTED_PROXIES", str, "",
            "Comma-separated client addresses (or *) of reverse proxies whose "
            "X-Forwarded-Proto and X-Forwarded-Host are believed when HOST is empty.",
            section="host"),
    Setting("metrics_token", "WBSERVER_METRICS_TOKEN", str, "",
            "Bearer token a Prometheus scraper sends to read /metrics (Authorization: Bearer "
            "...). Empty: only a site admin's API key reads /metrics.",
            section="security", secret=True),
    Setting("log_format", "WBSERVER_LOG_FORMAT", vt.choice("text", "json"), "text",
            "Server log format: text, or json (one object per line: time, level, logger, "
            "message; access lines add client, method, path, status). `serve --log-format`.",
            env_only=True),
    Setting("session_hours", "WBSERVER_SESSION_HOURS", vt.positive_int, 24 * 14,
            "Hours a browser sign-in lasts.", section="security"),
    Setting("login_max_failures", "WBSERVER_LOGIN_MAX_FAILURES", vt.positive_int, 10,
            "Failed sign-ins of one user name from one address (within an hour) before "
            "each further try of that pair waits: 30 s, doubling up to 15 minutes.",
            section="security"),
    Setting("invite_hours", "WBSERVER_INVITE_HOURS", vt.positive_int, 72,
            "Hours an invite or password-reset link stays valid.", section="security"),
    Setting("artifact_gc_interval", "WBSERVER_ARTIFACT_GC_INTERVAL", vt.non_negative_float, 0.0,
            "Seconds between two automatic passes of the artifact garbage collector, which "
            "frees stored content no committed artifact version references. 0 (the default) "
            "turns it off; `wbserver artifacts gc` runs one pass by hand.", section="artifacts"),
    Setting("artifact_gc_grace", "WBSERVER_ARTIFACT_GC_GRACE", vt.non_negative_float, 86400.0,
            "Seconds content stays after it was last uploaded, offered for reuse or listed by "
            "a pending artifact version, before the garbage collector may free it.",
            section="artifacts"),
    # single sign-on (OpenID Connect; Auth0 by W&B Local's names)
    Setting("auth0_domain", "AUTH0_DOMAIN", str, "",
            "Auth0 tenant domain, e.g. example.us.auth0.com; with AUTH0_CLIENT_ID it turns on "
            "sign-in through Auth0 (issuer https://AUTH0_DOMAIN/).", section="authentication"),
    Setting("auth0_client_id", "AUTH0_CLIENT_ID", str, "",
            "The client id of the Auth0 application.", section="authentication"),
    Setting("oidc_issuer", "OIDC_ISSUER", vt.http_url, "",
            "Issuer URL of any OpenID Connect provider (Okta, Entra ID, Google, Keycloak realm, "
            "Dex...), e.g. https://login.example.com/realms/main.", section="authentication"),
    Setting("oidc_client_id", "OIDC_CLIENT_ID", str, "",
            "The client id registered at the provider.", section="authentication"),
    Setting("oidc_client_secret", "OIDC_CLIENT_SECRET", str, "",
            "Client secret for a confidential client; empty for a public client (PKCE only).",
            section="authentication", secret=True),
    Setting("oidc_auth_method", "OIDC_AUTH_METHOD", vt.choice("pkce", "implicit"), "pkce",
            "pkce: authorization code flow with PKCE (default); implicit: id_token by form_post.",
            section="authentication"),
    Setting("oidc_redirect_path", "WBSERVER_OIDC_REDIRECT_PATH", vt.redirect_path, "",
            "Where the provider sends the browser back: /oidc/callback, or / (HOST itself, as "
            "the W&B Local Auth0 guide registers it, with HOST/logout as the logout URL). "
            "Empty: / with AUTH0_DOMAIN, /oidc/callback with OIDC_ISSUER.",
            section="authentication"),
    Setting("oidc_scopes", "WBSERVER_OIDC_SCOPES", str, "",
            "Scopes to ask for besides 'openid profile email' (space-separated).",
            section="authentication"),
    Setting("oidc_username_claim", "WBSERVER_OIDC_USERNAME_CLAIM", str, "preferred_username",
            "Claim that names a new user (falls back to the email's local part).",
            section="authentication"),
    Setting("oidc_groups_claim", "WBSERVER_OIDC_GROUPS_CLAIM", str, "",
            "Claim listing groups; a group named like a team makes the user a member of it.",
            section="authentication"),
    Setting("oidc_provision", "WBSERVER_OIDC_PROVISION", vt.boolean, True,
            "Create users on their first sign-in (counted against seats); off: only users "
            "who already exist may sign in.", section="authentication"),
    Setting("oidc_authorization_endpoint", "WBSERVER_OIDC_AUTHORIZATION_ENDPOINT", vt.http_url, "",
            "Override of the discovered authorization endpoint.", section="authentication"),
    Setting("oidc_token_endpoint", "WBSERVER_OIDC_TOKEN_ENDPOINT", vt.http_url, "",
            "Override of the discovered token endpoint.", section="authentication"),
    Setting("oidc_jwks_uri", "WBSERVER_OIDC_JWKS_URI", vt.http_url, "",
            "Override of the discovered JWKS URI.", section="authentication"),
    Setting("oidc_userinfo_endpoint", "WBSERVER_OIDC_USERINFO_ENDPOINT", vt.http_url, "",
            "Override of the discovered userinfo endpoint.", section="authentication"),
    Setting("oidc_end_session_endpoint", "WBSERVER_OIDC_END_SESSION_ENDPOINT", vt.http_url, "",
            "Override of the discovered end-session (logout) endpoint.",
            section="authentication"),
    Setting("break_glass_login", "WBSERVER_BREAK_GLASS_LOGIN", vt.boolean, True,
            "With single sign-on on, site admins may still sign in with a password.",
            section="authentication"),
    Setting("notifications_queue", "NOTIFICATIONS_QUEUE", vt.publisher_uri, "",
            "Where run events (created, finished, failed, crashed, preempting, alert) are "
            "published as JSON for your own tooling: sqs://QUEUE, pubsub:/PROJECT/TOPIC or "
            "az://ACCOUNT/QUEUE (schema in docs/notifications.md). Empty: not published.",
            section="notifications", secret=True),
    # Slack (W&B Local's names) and where its API lives (a stand-in in tests)
    Setting("slack_client_id", "SLACK_CLIENT_ID", vt.pattern(r"\d+\.\d+", "1234567890.1234567890"), "",
            "Client id of the Slack app that dispatches alerts (scope incoming-webhook, "
            "redirect URL HOST/slack/callback).", section="slack"),
    Setting("slack_secret", "SLACK_SECRET", vt.pattern(r"[0-9a-f]{32}", "32 hexadecimal digits"), "",
            "Client secret of that Slack app.", section="slack", secret=True),
    Setting("slack_api_url", "WBSERVER_SLACK_API_URL", vt.http_url, "https://slack.com/api/",
            "Base URL of Slack's Web API (oauth.v2.access).", section="slack"),
    Setting("slack_authorize_url", "WBSERVER_SLACK_AUTHORIZE_URL", vt.http_url,
            "https://slack.com/oauth/v2/authorize", "Slack's OAuth v2 consent page.",
            section="slack"),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    data_dir: str = field(default_factory=_default_data_dir)
    mysql: str = ""
    postgres: str = ""
    host: str = ""
    heartbeat_timeout: float = 300.0
    crash_check_interval: float = 30.0
    lease_seconds: float = 30.0
    sweep_check_interval: float = 5.0
    max_request_bytes: int = 64 * 1024 * 1024
    max_graphql_bytes: int = 8 * 1024 * 1024
    max_upload_bytes: int = 1024 ** 4
    rate_limit_run: float = 10.0
    rate_limit_project: float = 500.0
    upload_url_ttl: int = 24 * 3600
    download_url_ttl: int = 3600
    bucket: str = ""
    bucket_queue: str = ""
    aws_region: str = ""
    azure_storage_key: str = ""
    storage_proxy: bool = False
    storage_regions: str = ""
    bucket_reconcile_interval: float = 300.0
    secret_key: str = ""
    license: str = ""
    license_public_keys: str = ""
    trusted_proxies: str = ""
    metrics_token: str = ""
    log_format: str = "text"
    session_hours: int = 24 * 14
    login_max_failures: int = 10
    invite_hours: int = 72
    artifact_gc_interval: float = 0.0
    artifact_gc_grace: float = 86400.0
    auth0_domain: str = ""
    auth0_client_id: str = ""
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_auth_method: str = "pkce"
    oidc_redirect_path: str = ""
    oidc_scopes: str = ""
    oidc_username_claim: str = "preferred_username"
    oidc_groups_claim: str = ""
    oidc_provision: bool = True
    oidc_authorization_endpoint: str = ""
    oidc_token_endpoint: str = ""
    oidc_jwks_uri: str = ""
    oidc_userinfo_endpoint: str = ""
    oidc_end_session_endpoint: str = ""
    break_glass_login: bool = True
    notifications_queue: str = ""
    slack_client_id: str = ""
    slack_secret: str = ""
    slack_api_url: str = "https://slack.com/api/"
    slack_authorize_url: str = "https://slack.com/oauth/v2/authorize"

    @property
    def storage_region_names(self) -> tuple[str, ...]:
        return tuple(n for n in self.storage_regions.split(",") if n)

    @property
    def database_url(self) -> str:
        if self.mysql:
            return mysql_url(self.mysql)
        if self.postgres:
            return postgres_url(self.postgres)
        return "sqlite:///" + str(Path(self.data_dir) / "wbserver.sqlite")

    @property
    def server_database(self) -> str:
        """The database server's setting in use, "MYSQL" or "POSTGRES"; empty: SQLite."""
        return "MYSQL" if self.mysql else "POSTGRES" if self.postgres else ""

    @property
    def files_dir(self) -> str:
        return str(Path(self.data_dir) / "files")


def parse_value(setting: Setting, raw: str) -> Any:
    """The typed value, or ConfigError naming the setting, the problem and a good example."""
    try:
        return setting.type(raw)
    except ValueError as exc:
        example = f"; for example {setting.env}={setting.default!r}" if setting.default else ""
        shown = "(secret)" if setting.secret else repr(raw)
        raise ConfigError(f"{setting.env}={shown} is not valid: {exc}{example}") from exc


def env_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The raw values set in the environment, by setting name (empty counts as unset)."""
    env = os.environ if environ is None else environ
    return {s.name: env[s.env] for s in SETTINGS if env.get(s.env, "") != ""}


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None,
    saved: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve every setting: overrides > environment > saved (/system-admin) > default."""
    from_env = env_values(environ)
    overrides = overrides or {}
    saved = saved or {}
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        if overrides.get(setting.name) is not None:
            values[setting.name] = overrides[setting.name]
        elif setting.name in from_env:
            values[setting.name] = parse_value(setting, from_env[setting.name])
        elif setting.name in saved and not setting.env_only:
            values[setting.name] = parse_value(setting, saved[setting.name])
    if values.get("mysql") and values.get("postgres"):
        raise ConfigError("MYSQL and POSTGRES are both set: the metadata lives in one "
                          "database; unset one of them (MYSQL for MySQL/MariaDB, POSTGRES for "
                          "PostgreSQL)")
    known = {f.name for f in fields(Settings)}
    return Settings(**{k: v for k, v in values.items() if k in known})


def settings_table() -> str:
    """The Markdown table of every setting, as docs/operators.md shows it."""
    lines = ["| variable | section | default | meaning |", "|---|---|---|---|"]
    for setting in SETTINGS:
        if setting.secret and setting.name == "secret_key":
            default = "(generated)"
        elif setting.default is None:
            default = "`~/.wbserver`"
        elif setting.default == "":
            default = "(empty)"
        else:
            default = f"`{setting.default}`"
        lines.append(f"| `{setting.env}` | {setting.section} | {default} | {setting.help} |")
    return "\n".join(lines)
