"""domain/media.py: which keys are media, the custom charts and class labels the client keeps
in the config, how a media value reads in the summary, and the tidying of wandb.Html."""

import json
from dataclasses import replace
from datetime import datetime

import pytest

from wbserver.domain import media
from wbserver.domain.models import Run
from wbserver.domain.run_details import flat_items
from wbserver.errors import InvalidInput

BASE = Run(
    id=1, project_id=1, entity_name="e", project_name="p", name="r1", display_name="one",
    user_id=1, username="alice", state="finished", group_name=None, job_type="train",
    notes=None, description=None, tags=[], host="h", program=None, repo=None,
    commit_hash=None, sweep_name=None, config="{}", summary="{}", system_metrics=None,
    history_keys="{}", last_step=-1, history_line_count=0, events_line_count=0,
    log_line_count=0, exit_code=0, preempting=False, stop_requested=False,
    created_at=datetime(2026, 1, 1), updated_at=datetime(2026, 1, 1),
    heartbeat_at=datetime(2026, 1, 1), finished_at=None)
CHART = {"panel_type": "Vega2", "panel_config": {
    "panelDefId": "wandb/line/v0", "fieldSettings": {"x": "step", "y": "loss", "stroke": None},
    "stringSettings": {"title": "Loss"}, "transform": {"name": "tableWithLeafColNames"},
    "userQuery": {"queryFields": [{"name": "runSets", "fields": [{"name": "summaryTable", "args": [
        {"name": "tableKey", "value": "Custom Chart Tables/loss_table"}], "fields": []}]}]}}}


def test_media_keys_are_the_history_keys_of_media_types():
    run = replace(BASE, history_keys=json.dumps({
        "loss": {"number": 3}, "img": {"image-file": 2, "nil": 1}, "t": {"table-file": 1},
        "h": {"histogram": 5}, "s": {"string": 1}, "mixed": {"image-file": 1, "images/separated": 4}}))
    assert media.media_keys(run) == [
        {"key": "h", "type": "histogram"}, {"key": "img", "type": "image-file"},
        {"key": "mixed", "type": "images/separated"}, {"key": "t", "type": "table-file"}]


def test_custom_charts_and_class_labels_come_from_the_config():
    config = {"_wandb": {"value": {
        "visualize": {"loss_chart": CHART, "broken": "x"},
        "bounding_box/class_labels": {"img_wandb_delimeter_pred": {
            "type": "bounding_box/class_labels", "key": "img_wandb_delimeter_pred",
            "value": {"0": "cat", "1": "dog"}}},
        "mask/class_labels": {"img_wandb_delimeter_seg": {"value": {"1": "road"}},
                              "other_wandb_delimeter_seg": {"value": {"1": "sky"}}}}}}
    run = replace(BASE, config=json.dumps(config))
    assert media.custom_charts(run) == [{
        "key": "loss_chart", "specId": "wandb/line/v0", "fields": {"x": "step", "y": "loss"},
        "strings": {"title": "Loss"}, "tableKey": "Custom Chart Tables/loss_table"}]
    assert media.class_labels(run, "img") == {"boxes": {"pred": {"0": "cat", "1": "dog"}},
                                              "masks": {"seg": {"1": "road"}}}
    assert media.class_labels(run, "nothing") == {"boxes": {}, "masks": {}}


def test_a_media_value_reads_as_its_type_and_size_not_a_placeholder():
    summary = json.dumps({"t": {"_type": "table-file", "nrows": 30, "ncols": 4, "path": "x"},
                          "i": {"_type": "image-file", "width": 32, "height": 24},
                          "g": {"_type": "images/separated", "count": 2},
                          "h": {"_type": "histogram", "values": [1, 2], "bins": [0, 1, 2]},
                          "loss": 0.5})
    shown = dict(flat_items(summary, unwrap=False))
    assert shown == {"t": "table-file 30×4", "i": "image-file 32×24", "g": "images ×2",
                     "h": "histogram, 2 bins", "loss": "0.5"}
    assert {k for k, _ in flat_items(summary, unwrap=False, media_only=True)} == {
        "t", "i", "g", "h"}


def test_html_loses_scripts_links_base_and_meta_only():
    page = (b'<html><head><base target="_blank"><link rel="stylesheet" href="https://x/y.css" />'
            b'<META http-equiv="refresh" content="0;url=https://x"><style>p{color:red}</style>'
            b"</head><body><p onclick='x()'>hi</p><SCRIPT>alert(1)</SCRIPT><script src=a.js>"
            b"</script></body></html>")
    assert media.tidy_html(page) == (b"<html><head><style>p{color:red}</style></head><body>"
                                     b"<p onclick='x()'>hi</p></body></html>")
    with pytest.raises(InvalidInput):
        media.tidy_html(b"x" * (media.MAX_HTML + 1))


@pytest.mark.parametrize("key", ["", "k" * (media.MAX_KEY + 1), None])
def test_a_media_key_is_checked(key):
    with pytest.raises(InvalidInput):
        media.parse_key(key)
