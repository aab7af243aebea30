"""The media panel of the workspace: one media key (images, tables, histograms, html, audio,
video, a `wandb.plot` custom chart) for the first MAX_MEDIA_RUNS shown runs that logged it,
each run's values over steps as the run page's media panels take them (`domain/media.py`).
The page draws them with the run page's renderers (`static/ui/panel_media.js`)."""

from __future__ import annotations

from typing import Any

import orjson

from wbserver.domain.media import MEDIA_KINDS, custom_charts, file_links, media_values
from wbserver.domain.models import Run
from wbserver.domain.panels import PanelQuery, PanelSource, register_panel_kind

MAX_MEDIA_RUNS = 6  # runs per media panel: media are big, a panel shows the first few
TABLE_KINDS = ("table-file", "incremental-table-file")  # the table renderer reads these itself


def _logged(run: Run, key: str) -> bool:
    kinds: dict[str, dict[str, int]] = orjson.loads(run.history_keys or "{}")
    return any(t in MEDIA_KINDS or t == "incremental-table-file" for t in kinds.get(key, {}))


def media_panel(source: PanelSource, runs: list[Run], query: PanelQuery) -> dict[str, Any]:
    """{"cap": N, "keys": {key: {"runs": [{name, values, total, sampled, classLabels, links} or
    {name} for a table, {name, chart} for a chart], "of": runs that have the key}}}.
    ?type=chart reads `key` as a custom chart's key; ?type=<table type> skips the values
    (the table renderer reads the table itself)."""
    kind = query.params.get("type", "")
    out: dict[str, Any] = {}
    for key in query.keys:
        shown: list[dict[str, Any]] = []
        having = 0
        for run in runs:
            if kind == "chart":
                chart = next((c for c in custom_charts(run) if c["key"] == key), None)
                if chart is None:
                    continue
                having += 1
                if len(shown) < MAX_MEDIA_RUNS:
                    shown.append({"name": run.name, "chart": chart})
                continue
            if not _logged(run, key):
                continue
            having += 1
            if len(shown) >= MAX_MEDIA_RUNS:
                continue
            if kind in TABLE_KINDS:
                shown.append({"name": run.name})
            else:
                values = media_values(source.store, run, key)
                shown.append({"name": run.name, "values": values["values"],
                              "total": values["total"], "sampled": values["sampled"],
                              "classLabels": values["classLabels"],
                              "links": file_links(source.view_link, run, values["values"])
                              if source.view_link else {}})
        out[key] = {"runs": shown, "of": having}
    return {"cap": MAX_MEDIA_RUNS, "keys": out}


register_panel_kind("media", media_panel)
