"""A Babel extractor for texts the web UI shows that are not literals of the web layer: the
settings registry's help and section names (config/settings.py), which /system-admin shows
in the reader's language. babel.cfg names it for config/settings.py; the domain's messages
are marked with errors.Msg and extracted by Babel's own Python extractor (keyword Msg)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wbserver.config.admin import SECTIONS
from wbserver.config.settings import SETTINGS


def settings_texts() -> list[str]:
    """Every help text and section title of the registry, once each, in registry order."""
    texts: dict[str, None] = {}
    for setting in SETTINGS:
        texts[setting.help] = None
    for section in (*SECTIONS, *(s.section for s in SETTINGS)):
        texts[section.capitalize()] = None
    return list(texts)


def extract_settings(fileobj: Any, keywords: Any, comment_tags: Any,
                     options: Any) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's extractor interface: (line, function, message, comments) for each text."""
    for text in settings_texts():
        yield 0, "gettext", text, ["the settings registry (config/settings.py)"]
