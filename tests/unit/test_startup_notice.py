"""A bucket slow to answer at start is named within seconds (issue 23: a GCS or Azure endpoint
that does not answer used to mean 90 to 120 s of silence)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from wbserver import app as app_module, startup_notice
from wbserver.config import load_settings
from wbserver.storage.signing import UrlSigner


class SlowStore:
    name = "az://acct/ctr"
    account_url = "http://10.255.255.1:10000/acct"

    def check(self) -> None:
        time.sleep(0.6)


def test_a_slow_bucket_is_named_while_it_is_tried(monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture,
                                                 tmp_path: Path) -> None:
    monkeypatch.setattr(startup_notice, "SLOW_NOTICE", 0.2)
    monkeypatch.setattr(app_module, "open_blob_store", lambda *_a: SlowStore())
    settings = load_settings({"BUCKET": "az://acct/ctr", "AZURE_STORAGE_KEY": "a2V5"})
    caplog.set_level(logging.WARNING, logger="wbserver.setup")
    with startup_notice.slow_notice("reaching X", after=0.2):
        time.sleep(0.5)
    assert "still reaching X after 0 s" in caplog.text and "took" in caplog.text
    caplog.clear()
    started = time.monotonic()
    app_module.check_storage(settings, str(tmp_path), UrlSigner(b"k" * 32), reach_queue=False)
    assert time.monotonic() - started < 5
    # the default (3 s) is longer than this store's answer: nothing said
    assert "still reaching" not in caplog.text


def test_the_notice_names_the_setting_and_the_endpoint(monkeypatch: pytest.MonkeyPatch,
                                                       caplog: pytest.LogCaptureFixture,
                                                       tmp_path: Path) -> None:
    said: list[str] = []
    real = startup_notice.slow_notice

    def quick(what: str, *, after: float = 0.1):  # noqa: ANN202
        said.append(what)
        return real(what, after=0.1)
    monkeypatch.setattr(app_module, "slow_notice", quick)
    monkeypatch.setattr(app_module, "open_blob_store", lambda *_a: SlowStore())
    settings = load_settings({"BUCKET": "az://acct/ctr", "AZURE_STORAGE_KEY": "a2V5"})
    caplog.set_level(logging.WARNING, logger="wbserver.setup")
    app_module.check_storage(settings, str(tmp_path), UrlSigner(b"k" * 32), reach_queue=False)
    assert said == ["reaching BUCKET='az://acct/ctr' at http://10.255.255.1:10000/acct"]
    assert "still reaching BUCKET='az://acct/ctr' at http://10.255.255.1:10000/acct" in \
        caplog.text
