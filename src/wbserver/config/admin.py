"""The /system-admin view of the settings: what is in force and from where, and saving
changes (validated first, secrets encrypted, every change audited, never a secret value)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from wbserver.config.runtime import SettingsSource
from wbserver.config.settings import (
    BY_NAME,
    SETTINGS,
    Setting,
    Settings,
    load_settings,
    parse_value,
)
from wbserver.errors import ConfigError, InvalidInput, Msg, PermissionDenied
from wbserver.ports import MetadataStore

SECTIONS = ("license", "authentication", "host", "database", "storage", "file storage",
            "notifications", "slack", "runs", "limits", "artifacts", "security")

# A probe checks a candidate configuration against the real service (bucket, queue, OIDC
# discovery...) and raises ConfigError with the service's own message.
Probe = Callable[[Settings], None]


@dataclass(frozen=True)
class SettingRow:
    name: str
    env: str
    section: str
    help: str
    shown: str
    origin: str
    locked: bool
    secret: bool


def describe(source: SettingsSource) -> list[SettingRow]:
    settings = source.current()
    rows = []
    for setting in SETTINGS:
        value = getattr(settings, setting.name)
        if setting.secret:
            shown = "set" if value else "not set"
        else:
            shown = "" if value is None else str(value)
        rows.append(SettingRow(name=setting.name, env=setting.env, section=setting.section,
                               help=setting.help, shown=shown, origin=source.origin(setting.name),
                               locked=source.is_locked(setting.name), secret=setting.secret))
    order = {section: i for i, section in enumerate(SECTIONS)}
    return sorted(rows, key=lambda r: order.get(r.section, len(order)))


def save_changes(store: MetadataStore, source: SettingsSource, *, changes: Mapping[str, str],
                 actor_id: int | None, now: datetime, encrypt: Callable[[str], str],
                 probes: list[Probe] | None = None, clear: Iterable[str] = ()) -> list[str]:
    """Validate every change, probe the resulting configuration, then save all or nothing.
    An empty value clears the saved value (the default applies again), except for a secret,
    whose empty field means 'keep it': a secret is cleared by naming it in `clear`. Returns
    the names that changed."""
    cleaned: dict[str, str | None] = {}
    for name in clear:
        _editable(source, name)
        if (changes.get(name) or "").strip():
            raise InvalidInput(Msg("%(env)s has both a new value and 'clear'; choose one",
                                   env=BY_NAME[name].env))
        cleaned[name] = None
    for name, raw in changes.items():
        setting = _editable(source, name)
        value = raw.strip()
        if name in cleaned or (setting.secret and value == ""):
            continue  # a blank secret field means 'keep what is there'
        if value:
            try:
                parse_value(setting, value)
            except ConfigError as exc:  # a bad value from the page or GraphQL is bad input
                raise InvalidInput(exc.message) from None
        cleaned[name] = value or None
    if not cleaned:
        return []
    saved = dict(source.saved_values())
    for name, new in cleaned.items():
        if new is None:
            saved.pop(name, None)
        else:
            saved[name] = new
    candidate = load_settings(source.environ, source.overrides, saved=saved)
    if cleaned.get("license"):
        check_license(candidate, now)
    for probe in probes or []:
        try:
            probe(candidate)
        except ConfigError as exc:  # the backend's own message, as a refusal of the input
            raise InvalidInput(exc.message) from None
    stored = {n: (encrypt(v) if v is not None and BY_NAME[n].secret else v)
              for n, v in cleaned.items()}
    audit = [("setting.clear" if v is None else "setting.update", BY_NAME[n].env,
              "secret changed" if BY_NAME[n].secret and v else f"now {v!r}" if v else "cleared")
             for n, v in cleaned.items()]
    store.save_settings(stored, user_id=actor_id, now=now, audit=audit)
    source.refresh()
    return list(cleaned)


def _editable(source: SettingsSource, name: str) -> Setting:
    """The setting called `name`, when the page may change it."""
    setting = BY_NAME.get(name)
    if setting is None:
        raise InvalidInput(Msg("there is no setting named %(name)r", name=name))
    if source.is_locked(name):
        reason = (Msg("it is read from the environment before the database opens")
                  if setting.env_only else
                  Msg("it is set by the environment variable %(env)s", env=setting.env))
        raise PermissionDenied(Msg("%(env)s cannot be changed here: %(reason)s", env=setting.env,
                                   reason=reason))
    return setting


def check_license(settings: Settings, now: datetime) -> None:
    """A license about to be saved must verify against the trusted keys and be in force,
    as `wbserver license install` requires."""
    from wbserver.licensing import license_state

    state = license_state(settings.license, settings.license_public_keys, now)
    if state.license is None:
        raise InvalidInput(Msg("license refused: %(reason)s", reason=state.problem))
    if not state.valid(now):
        raise InvalidInput(Msg("license refused: %(reason)s", reason=state.describe(now)))


__all__ = ["ConfigError", "SettingRow", "check_license", "describe", "save_changes"]
