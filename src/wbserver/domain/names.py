"""Generated run ids and display names, and the rules for names the client sends."""

from __future__ import annotations

import re
import secrets
import string
import unicodedata

from wbserver.errors import InvalidInput

_ADJECTIVES = ("amber", "brisk", "calm", "daring", "eager", "fancy", "gentle", "hardy",
               "icy", "jolly", "keen", "lively", "mellow", "noble", "olive", "proud", "quiet",
               "rapid", "sunny", "tidy", "upbeat", "vivid", "warm", "young", "zesty")
_NOUNS = ("aurora", "breeze", "cloud", "dawn", "ember", "forest", "glade", "harbor", "island",
          "jungle", "kestrel", "lagoon", "meadow", "nebula", "ocean", "pine", "quasar", "river",
          "summit", "tundra", "valley", "willow", "yonder", "zephyr")

NAME_RE = re.compile(r"[^/\\]{1,128}")
# control (Cc), format (Cf: zero-width, bidi marks and overrides, BOM), line and paragraph
# separators, surrogates: invisible or misleading in a name
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def new_run_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(8))


def new_display_name(sequence: int) -> str:
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{sequence}"


def hidden_character(value: str) -> str | None:
    """The first character that would not show (or would disguise the text around it), as
    'U+202E RIGHT-TO-LEFT OVERRIDE'; None when every character is visible."""
    for char in value:
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            label = unicodedata.name(char, "control character")
            return f"U+{ord(char):04X} {label}"
    return None


def check_visible(kind: str, value: str) -> str:
    """Refuse names holding control, zero-width or text-direction characters (as W&B does):
    such names look like others, or reorder what the UI shows around them."""
    hidden = hidden_character(value)
    if hidden is not None:
        raise InvalidInput(f"invalid {kind} name {value!r}: it contains {hidden}; names may "
                           f"not contain control, zero-width or text-direction characters")
    return value


def check_name(kind: str, value: str) -> str:
    if not isinstance(value, str) or not NAME_RE.fullmatch(value) or value in {".", ".."}:
        raise InvalidInput(f"invalid {kind} name {value!r}: 1-128 characters, no '/' or '\\'")
    return check_visible(kind, value)
