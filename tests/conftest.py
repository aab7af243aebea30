"""Fixtures shared by every test folder: the storage emulators (tests/emulators.py), started
once per session, in parallel, only when a test asks for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from emulators import PUBSUB_EMULATOR, Emulators, start_all

_PUBSUB_MISSING: list[str] = []


@pytest.fixture(scope="session")
def emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulators]:
    started = start_all(tmp_path_factory.mktemp("emulators"))
    if started.pubsub is None:
        _PUBSUB_MISSING.append("absent")
    yield started
    started.stop()


def pubsub_available() -> bool:
    return PUBSUB_EMULATOR.exists()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _PUBSUB_MISSING:
        bar = "!" * 78
        terminalreporter.write_line(bar, red=True, bold=True)
        terminalreporter.write_line(
            f"THE PUB/SUB EMULATOR IS ABSENT ({PUBSUB_EMULATOR}): the pubsub:/ queue contract "
            "tests DID NOT RUN on this machine.", red=True, bold=True)
        terminalreporter.write_line(bar, red=True, bold=True)
