"""Settings in force while the server runs: the environment (fixed at start) over values
saved from /system-admin (re-read when they change, in every process) over defaults."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from wbserver.config.settings import BY_NAME, Settings, env_values, load_settings, parse_value
from wbserver.errors import ConfigError

log = logging.getLogger("wbserver.settings")


class SettingsSource:
    def __init__(self, *, environ: Mapping[str, str] | None = None,
                 overrides: Mapping[str, Any] | None = None, check_every: float = 2.0) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        self._settings = load_settings(self._environ, self._overrides)  # bad env: refuse now
        self._saved: dict[str, str] = {}
        self._load_saved: Callable[[], dict[str, str]] | None = None
        self._revision: Callable[[], object] | None = None
        self._seen_revision: object = None
        self._checked_at = 0.0
        self._check_every = check_every
        self._lock = threading.Lock()

    @property
    def environ(self) -> dict[str, str]:
        return self._environ

    @property
    def overrides(self) -> dict[str, Any]:
        return self._overrides

    def saved_values(self) -> dict[str, str]:
        return dict(self._saved)

    @property
    def startup(self) -> Settings:
        """Settings from the environment and flags only (what opens the database)."""
        return load_settings(self._environ, self._overrides)

    def attach(self, *, load_saved: Callable[[], dict[str, str]],
               revision: Callable[[], object]) -> None:
        """Start following the values saved in the database."""
        self._load_saved, self._revision = load_saved, revision
        self.refresh()

    def current(self) -> Settings:
        if self._revision is not None and time.monotonic() - self._checked_at > self._check_every:
            self._checked_at = time.monotonic()
            try:
                if self._revision() != self._seen_revision:
                    self.refresh()
            except Exception:  # the database may be briefly away; keep what we have
                log.exception("could not check for changed settings")
        return self._settings

    def refresh(self) -> None:
        if self._load_saved is None or self._revision is None:
            return
        with self._lock:
            revision = self._revision()
            saved = _usable(self._load_saved())
            try:
                settings = load_settings(self._environ, self._overrides, saved=saved)
            except ConfigError:
                log.exception("a saved setting is not valid; keeping the previous settings")
                return
            self._saved, self._settings, self._seen_revision = saved, settings, revision
            self._checked_at = time.monotonic()

    def origin(self, name: str) -> str:
        """Where the value in force comes from: flag, environment, saved or default."""
        if name in self._overrides:
            return "command line"
        if name in env_values(self._environ):
            return "environment"
        if name in self._saved and not BY_NAME[name].env_only:
            return "saved"
        return "default"

    def is_locked(self, name: str) -> bool:
        return BY_NAME[name].env_only or self.origin(name) in ("environment", "command line")


def _usable(saved: dict[str, str]) -> dict[str, str]:
    """The saved values that are valid today. One a newer version refuses (a HOST with a
    path, say) is left out, and logged, so that the others (BUCKET...) still apply."""
    usable = {}
    for name, value in saved.items():
        setting = BY_NAME.get(name)
        try:
            if setting is not None and not setting.env_only:
                parse_value(setting, value)
        except ConfigError as exc:
            log.error("ignoring the saved %s: %s; save a valid value on /system-admin",
                      setting.env if setting else name, exc.message)
            continue
        usable[name] = value
    return usable
