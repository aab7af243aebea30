"""file_stream fuzzed in-process (issue #19): random and mutated bodies never get a 5xx, and
history sent in chunks with retries and overlaps is stored exactly once, in order; console
lines likewise, each the last text sent for its line number."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.unit.test_accel_fuzz import json_line, mutated
from wbserver.app import create_app
from wbserver.config.runtime import SettingsSource
from wbserver.domain.models import RunKey

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES_API", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=list(HealthCheck))
NAMES = ["wandb-history.jsonl", "wandb-events.jsonl", "wandb-summary.json", "output.log",
         "other.txt"]
HISTORY = """query H($name: String!) { project(name: "proj", entityName: "alice") {
  run(name: $name) { history(samples: 100000) historyLineCount } } }"""

ANY = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
              st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12)
OFFSET = st.one_of(st.integers(0, 8), st.integers(-3, 2**64), st.sampled_from(
    [2**31 - 1, 2**31, 2**63, 2**63 - 1, True, 1.5, "3", None]), ANY)
LINE = st.one_of(json_line(), mutated(json_line()), st.text(max_size=30),
                 st.sampled_from(['{"_step": -1}', '{"_step": 0.5, "a": NaN}', '{"a": Infinity}',
                                  '{"\\ud800": 1}', '{"a": "\\udc00"}', '{"a":' * 200 + "1"
                                  + "}" * 200, '{"_step": 1e300}', '{"_step": NaN}']))
UPDATE = st.one_of(st.fixed_dictionaries({"offset": OFFSET, "content": st.one_of(
    st.lists(LINE, max_size=5), ANY)}), ANY)
BODY = st.one_of(
    st.fixed_dictionaries({}, optional={
        "files": st.one_of(st.dictionaries(st.sampled_from(NAMES), UPDATE, max_size=4), ANY),
        "complete": ANY, "exitcode": st.one_of(st.integers(-5, 300), ANY),
        "uploaded": st.one_of(st.lists(st.text(max_size=12), max_size=3), ANY),
        "preempting": ANY}),
    ANY)


@pytest.fixture
def app(tmp_path, database):
    """The API tests' app without rate limits: the fuzz posts far more than 10 requests a
    second to one run, which is what the limits are for (tests/api/test_rate_limits.py)."""
    environ = {**database, "WBSERVER_RATE_LIMIT_RUN": "0", "WBSERVER_RATE_LIMIT_PROJECT": "0"}
    app = create_app(SettingsSource(environ=environ,
                                    overrides={"data_dir": str(tmp_path / "data")}))
    yield app
    app.state.services.store.close()


def _post(api, run: str, body):
    """POST the body as Python's json writes it (NaN and Infinity as bare tokens)."""
    return api.client.post(f"/files/alice/proj/{run}/file_stream", content=json.dumps(body),
                           headers={**api.headers(), "content-type": "application/json"})


def test_random_bodies_never_get_a_5xx(api):
    api.upsert("fuzz")
    seen: dict[int, int] = {}

    @FUZZ
    @given(BODY)
    def one(body):
        response = _post(api, "fuzz", body)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (body, response.text)

    one()
    assert set(seen) <= {200, 400, 409, 413}, seen


def test_mutated_raw_bodies_never_get_a_5xx(api):
    api.upsert("fuzz")
    text = st.builds(lambda lines: json.dumps({"files": {"wandb-history.jsonl": {
        "offset": 0, "content": lines}}}), st.lists(json_line(), max_size=3))

    @FUZZ
    @given(mutated(text), st.booleans())
    def one(body, gzip_header):
        headers = {**api.headers(), "content-type": "application/json"}
        if gzip_header:
            headers["content-encoding"] = "gzip"
        response = api.client.post("/files/alice/proj/fuzz/file_stream", headers=headers,
                                   content=body.encode("utf-8", "surrogatepass"))
        assert response.status_code < 500, (body, response.text)

    one()


@st.composite
def deliveries(draw):
    """Rows, and the requests that carry them: consecutive chunks, some sent twice, some
    resent from an earlier offset (a retry after a lost answer)."""
    rows = draw(st.lists(st.fixed_dictionaries({"loss": st.floats(allow_nan=False),
                                                "tag": st.sampled_from(["a", "b", 7, None])}),
                         min_size=1, max_size=30))
    lines = [json.dumps({"_step": i, **row}) for i, row in enumerate(rows)]
    cuts = sorted(set(draw(st.lists(st.integers(1, len(lines)), max_size=6))) | {len(lines)})
    requests, start = [], 0
    for end in cuts:
        requests.append((start, lines[start:end]))
        if draw(st.booleans()):  # the same request again
            requests.append((start, lines[start:end]))
        if start and draw(st.booleans()):  # from further back, overlapping what is stored
            back = draw(st.integers(0, start))
            requests.append((back, lines[back:end]))
        start = end
    return lines, requests


def test_retried_and_overlapping_history_is_stored_exactly_once(api):
    count = [0]

    @FUZZ
    @given(deliveries())
    def one(delivery):
        lines, requests = delivery
        count[0] += 1
        name = f"retry{count[0]}"
        api.upsert(name)
        for offset, chunk in requests:
            response = _post(api, name, {"files": {"wandb-history.jsonl": {
                "offset": offset, "content": chunk}}})
            assert response.status_code == 200, response.text
        run = api.gql(HISTORY, name=name)["data"]["project"]["run"]
        assert run["historyLineCount"] == len(lines)
        assert [json.loads(x) for x in run["history"]] == [json.loads(x) for x in lines]

    one()


@st.composite
def console_deliveries(draw):
    """Console updates as the client sends them: consecutive runs of lines, some replacing
    lines already sent (a progress bar), some requests sent again (a retry), some starting
    past the last line (sparse)."""
    requests = []
    end = 0
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["append", "rewrite", "retry", "skip"]))
        if kind == "retry" and requests:
            requests.append(requests[-1])
            continue
        if kind == "rewrite" and end:
            offset = draw(st.integers(0, end - 1))
        else:
            offset = end + (draw(st.integers(1, 3)) if kind == "skip" else 0)
        count = draw(st.integers(1, 5))
        tag = len(requests)
        requests.append((offset, [f"line {offset + i} v{tag}" for i in range(count)]))
        end = max(end, offset + count)
    return requests


def test_console_lines_replaced_by_line_number_and_appended_once(api):
    """Each stored line is the last text sent for its number, whether it was new, rewritten
    or resent (the write deletes only lines below the stored count before inserting)."""
    count = [0]
    store = api.client.app.state.services.store

    @FUZZ
    @given(console_deliveries())
    def one(requests):
        count[0] += 1
        name = f"console{count[0]}"
        api.upsert(name)
        expected: dict[int, str] = {}
        for offset, lines in requests:
            response = _post(api, name, {"files": {"output.log": {
                "offset": offset, "content": lines}}})
            assert response.status_code == 200, response.text
            expected.update({offset + i: line for i, line in enumerate(lines)})
        run = store.get_run(RunKey("alice", "proj", name))
        assert run.log_line_count == max(expected) + 1
        assert store.read_log_lines(run.id) == sorted(expected.items())

    one()
