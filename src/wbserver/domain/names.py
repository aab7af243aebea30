"""Generated run ids and display names, and the rules for names the client sends."""

from __future__ import annotations

import re
import secrets
import string

from wbserver.errors import InvalidInput

_ADJECTIVES = ("amber", "brisk", "calm", "daring", "eager", "fancy", "gentle", "hardy",
               "icy", "jolly", "keen", "lively", "mellow", "noble", "olive", "proud", "quiet",
               "rapid", "sunny", "tidy", "upbeat", "vivid", "warm", "young", "zesty")
_NOUNS = ("aurora", "breeze", "cloud", "dawn", "ember", "forest", "glade", "harbor", "island",
          "jungle", "kestrel", "lagoon", "meadow", "nebula", "ocean", "pine", "quasar", "river",
          "summit", "tundra", "valley", "willow", "yonder", "zephyr")

NAME_RE = re.compile(r"^[^/\\\x00-\x1f]{1,128}$")


def new_run_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(8))


def new_display_name(sequence: int) -> str:
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{sequence}"


def check_name(kind: str, value: str) -> str:
    if not NAME_RE.match(value) or value in {".", ".."}:
        raise InvalidInput(f"invalid {kind} name {value!r}: 1-128 characters, no '/' or '\\'")
    return value
