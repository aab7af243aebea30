"""NaN and ±Infinity (a diverged loss) logged by the real client and read back with
wandb.Api() every way (issue #19, item 2).

Paths that reach Python's json parser give the numbers back (history(), scan_history(),
summary, config). The keyed reads go through wandb-core, which decodes the server's answer
with Go's strict encoding/json: no JSON number can be NaN there, so they carry W&B's own
spelling, "NaN", "Infinity", "-Infinity" (before: None for all three, telling them apart from
nothing). Every path has the same rows, and float() of each keyed value is the number."""

from __future__ import annotations

import math
import re

import httpx

from .harness import Client

LOSSES = ["0.5", "nan", "inf", "-inf", "0.25", "nan"]
NAMES = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def number(text: str) -> dict | float:
    return float(text) if text not in NAMES else {"float": text}


def losses(rows: list[dict]) -> list:
    return [row.get("loss") for row in rows]


def test_nan_and_infinity_read_back_every_way(client: Client) -> None:
    out, _result = client.script("nonfinite.py", {"project": "nonfinite", "id": "diverged"})
    reads = out["reads"]
    failed = {k: v["error"] for k, v in reads.items() if "error" in v}
    assert not failed, failed
    value = {k: v["value"] for k, v in reads.items()}

    numbers = [number(x) for x in LOSSES]
    assert losses(value["history"]) == numbers
    assert losses(value["scan"]) == numbers
    assert [r["_step"] for r in value["scan"]] == list(range(len(LOSSES)))

    names = [{"str": NAMES[x]} if x in NAMES else float(x) for x in LOSSES]
    for keyed in ("history_keys", "scan_keys", "scan_paged"):
        assert losses(value[keyed]) == names, keyed
        assert [r["_step"] for r in value[keyed]] == list(range(len(LOSSES))), keyed
    for named, text in zip(names, LOSSES, strict=True):  # float() gives the number back
        got = float(named["str"]) if isinstance(named, dict) else named
        assert math.isnan(got) if text == "nan" else got == float(text)

    assert value["summary"] == {"loss": {"float": "nan"}, "acc": 5}
    assert value["config"] == {"clip": {"float": "inf"}, "floor": {"float": "-inf"}}

    # the pages that showed them answered 500 before
    browser = signed_in(client.server)
    where = f"/{out['entity']}/nonfinite/runs/diverged"
    page = browser.get(where)
    assert page.status_code == 200, page.text[:2000]
    assert "<td>∞</td>" in page.text and "<td>-∞</td>" in page.text  # the config
    status = browser.get("/_ui" + where + "/status")
    assert status.status_code == 200, status.text
    assert status.json()["summary"]["loss"] == "NaN"
    table = browser.get(f"/_ui/{out['entity']}/nonfinite/runs?col=summary.loss&col=config.clip")
    assert table.json()["rows"][0]["cells"] == {"summary.loss": "NaN", "config.clip": "∞"}
    browser.close()

    # resuming reads the summary, config and history tail back (wandb-core's extended JSON)
    resumed, _result = client.script("nonfinite.py", {"project": "nonfinite", "id": "diverged",
                                                      "resume": True})
    again = {k: v.get("value", v.get("error")) for k, v in resumed["reads"].items()}
    assert losses(again["history"]) == numbers + [0.125]
    assert losses(again["scan_keys"]) == names + [0.125]
    assert [r["_step"] for r in again["scan"]] == list(range(len(LOSSES) + 1))
    assert again["summary"] == {"loss": 0.125, "acc": 6}
    assert again["config"] == value["config"]


def signed_in(server) -> httpx.Client:
    server.set_password(server.user, "nonfinite password")
    browser = httpx.Client(base_url=server.url, timeout=30)
    page = browser.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    browser.post("/login", data={"csrf_token": token, "username": server.user,
                                 "password": "nonfinite password"})
    return browser
