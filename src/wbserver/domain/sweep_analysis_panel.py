"""The sweep-analysis panel kinds of the workspace: parallel coordinates ("parallel"),
parameter importance ("importance") and a metric against a config key ("scatter"), over
the shown runs, for the panel's first key as the metric (`domain/sweep_analysis.py`)."""

from __future__ import annotations

from typing import Any

from wbserver.domain.models import Run
from wbserver.domain.panels import PanelQuery, PanelSource, register_panel_kind
from wbserver.domain.sweep_analysis import analyse

KINDS = ("parallel", "importance", "scatter")


def analysis_panel(source: PanelSource, runs: list[Run], query: PanelQuery) -> dict[str, Any]:
    metric = query.keys[0]
    # the random forest only where it is shown; the plots order axes by correlation
    return {"keys": {metric: analyse(runs, metric, importance=query.kind == "importance")}}


for _kind in KINDS:
    register_panel_kind(_kind, analysis_panel)
