"""What the media panels show: the run's logged media keys (images, tables, histograms, html,
audio, video, …) and custom charts, each key's values over steps as the client logged them,
and the class labels the client keeps in the run's config for boxes and masks.

The values are the client's own JSON (`{"_type": "image-file", "path": "media/images/…"}`);
a panel fetches the files they name through the signed view links that come with the values
(`file_links`; one permission check for all of them), else through the run's file endpoint;
both serve them as inert attachments (`http/user_content.py`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from wbserver.domain.files import run_file_key
from wbserver.domain.history import iter_lines
from wbserver.domain.history_codec import flatten, parse_line, row_step
from wbserver.domain.json_text import loads
from wbserver.domain.models import Run
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

MEDIA_KINDS = frozenset({
    "image-file", "images/separated", "table-file", "partitioned-table", "joined-table",
    "histogram", "html-file", "audio-file", "video-file", "plotly-file", "bokeh-file",
    "object3D-file", "molecule-file",
})
MAX_VALUES = 1000  # values of one key sent to a page (evenly sampled, the last kept)
MAX_KEY = 1024
DELIMITER = "_wandb_delimeter_"  # sic: the client's spelling
_PLAIN = re.compile(r"[A-Za-z0-9_\-/ :]+")


def describe(value: dict[str, Any]) -> str:
    """A media value in a word or two (the summary links it to its panel): its type and,
    where the client says, its size: "table-file 30×4", "image-file 32×24", "images ×2"."""
    kind = str(value.get("_type"))
    if kind in ("table-file", "incremental-table-file") and "nrows" in value:
        return f"{kind} {value.get('nrows')}×{value.get('ncols')}"
    if kind == "image-file" and "width" in value:
        return f"{kind} {value.get('width')}×{value.get('height')}"
    if kind == "images/separated":
        return f"images ×{value.get('count')}"
    if kind == "histogram" and isinstance(value.get("values"), list):
        return f"histogram, {len(value['values'])} bins"
    return kind


def media_keys(run: Run) -> list[dict[str, Any]]:
    """[{key, type}] for each history key whose values are media, sorted by key; a key
    logged with several media types takes the one logged most."""
    kinds: dict[str, dict[str, int]] = orjson.loads(run.history_keys or "{}")
    out = []
    for key in sorted(kinds):
        media = {t: n for t, n in kinds[key].items() if t in MEDIA_KINDS}
        if media:
            out.append({"key": key, "type": max(media, key=lambda t: media[t])})
    return out


def _wandb_config(run: Run) -> dict[str, Any]:
    return wandb_config(run.config)


def wandb_config(text: str | None) -> dict[str, Any]:
    """The client's own `_wandb` entry of a run's config JSON (an empty dict if none)."""
    config = loads(text or "{}")
    wandb = config.get("_wandb") if isinstance(config, dict) else None
    if isinstance(wandb, dict) and isinstance(wandb.get("value"), dict):
        wandb = wandb["value"]
    return wandb if isinstance(wandb, dict) else {}


def _table_key(panel_config: dict[str, Any], key: str) -> str:
    """The `tableKey` argument somewhere in the chart's user query, else `<key>_table`."""
    stack: list[Any] = [panel_config.get("userQuery")]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("name") == "tableKey" and isinstance(item.get("value"), str):
                return str(item["value"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return f"{key}_table"


def custom_charts(run: Run) -> list[dict[str, Any]]:
    """The `wandb.plot.*` / `wandb.plot_table` charts of the run: the client puts each in
    the config under `_wandb.visualize.<key>` (spec id, fields, strings) and logs its table
    to history under the chart's table key."""
    return charts_in_config(run.config)


def charts_in_config(text: str | None) -> list[dict[str, Any]]:
    """custom_charts of a run's config JSON."""
    visualize = wandb_config(text).get("visualize")
    out = []
    for key, value in sorted(visualize.items()) if isinstance(visualize, dict) else ():
        panel = value.get("panel_config") if isinstance(value, dict) else None
        if not isinstance(panel, dict):
            continue
        out.append({"key": key, "specId": str(panel.get("panelDefId") or ""),
                    "fields": _str_map(panel.get("fieldSettings")),
                    "strings": _str_map(panel.get("stringSettings")),
                    "tableKey": _table_key(panel, key)})
    return out


def _str_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if isinstance(v, str | int | float)}


def class_labels(run: Run, key: str) -> dict[str, dict[str, dict[str, str]]]:
    """{"boxes": {box key: {class id: name}}, "masks": {…}} the client stored for KEY."""
    wandb = _wandb_config(run)
    out: dict[str, dict[str, dict[str, str]]] = {"boxes": {}, "masks": {}}
    for kind, section in (("boxes", "bounding_box/class_labels"), ("masks", "mask/class_labels")):
        entries = wandb.get(section)
        for name, entry in entries.items() if isinstance(entries, dict) else ():
            parent, _, sub = str(name).partition(DELIMITER)
            if parent != key or not sub or not isinstance(entry, dict):
                continue
            labels = entry.get("value")
            if isinstance(labels, dict):
                out[kind][sub] = {str(k): str(v) for k, v in labels.items()}
    return out


def parse_key(text: str | None) -> str:
    if not text or len(text) > MAX_KEY:
        raise InvalidInput(f"key must be a history key of 1 to {MAX_KEY} characters")
    return text


def media_values(store: MetadataStore, run: Run, key: str) -> dict[str, Any]:
    """{key, values: [{step, value}], total, sampled, classLabels} of one media key in
    step order (at most MAX_VALUES, evenly sampled, the last always kept). Only the lines
    that name the key (or, for a nested key, its last part) are parsed."""
    last = key.rsplit(".", 1)[-1]
    # a writer may escape other characters (Go's JSON escapes <, > and &): parse every line
    needle = f'"{last}"' if _PLAIN.fullmatch(last) else ""
    found: list[dict[str, Any]] = []
    for number, line in enumerate(iter_lines(store, run)):
        if needle not in line:
            continue
        row = parse_line(line, where="stored history line")
        value = row.get(key) if key in row else flatten(row).get(key)
        if isinstance(value, dict) and "_type" in value:
            found.append({"step": row_step(row, number), "value": value})
    total = len(found)
    if total > MAX_VALUES:
        stride = (total - 1) / (MAX_VALUES - 1)
        found = [found[round(i * stride)] for i in range(MAX_VALUES)]
    return {"key": key, "values": found, "total": total, "sampled": total > len(found),
            "classLabels": class_labels(run, key)}


# (blob key, file name) -> a URL the page may fetch the file by (http/view_links.py)
ViewLink = Callable[[str, str], str]


def value_paths(values: Iterable[dict[str, Any]]) -> set[str]:
    """The run files that media values name: an image's, audio's or video's path, an image's
    masks and boxes, an image group's files. HTML is left out: its frame has a route of its
    own (`run_html`)."""
    paths: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            if value.get("_type") == "html-file":
                return
            if isinstance(value.get("path"), str):
                paths.add(value["path"])
            if value.get("_type") == "images/separated":
                paths.update(p for p in value.get("filenames") or () if isinstance(p, str))
            for item in value.values():
                if isinstance(item, dict | list):
                    walk(item)
    for entry in values:
        walk(entry.get("value"))
    return paths


def file_links(link: ViewLink, run: Run, values: Iterable[dict[str, Any]]) -> dict[str, str]:
    """{path: URL} of the run files the values name (`value_paths`); a name no run file can
    have is left out (the page falls back to the file endpoint, which refuses it)."""
    out: dict[str, str] = {}
    for path in value_paths(values):
        try:
            out[path] = link(run_file_key(run.id, path), path)
        except InvalidInput:
            continue
    return out


MAX_HTML = 5 * 2**20
_HTML_DROP = re.compile(
    r"<script\b.*?</script\s*>|<script\b[^>]*>|<(?:link|base|meta)\b[^>]*>",
    re.IGNORECASE | re.DOTALL)


def tidy_html(data: bytes) -> bytes:
    """A `wandb.Html` file as its panel shows it: without scripts (the sandboxed frame would
    not run them anyway), and without `<link>`, `<base>` and `<meta>` tags (the client injects
    a stylesheet from its own cloud, which the frame's policy would refuse). This is tidying,
    not the security boundary: that is the frame's sandbox and the response's policy."""
    if len(data) > MAX_HTML:
        raise InvalidInput(f"this HTML file is over {MAX_HTML // 2**20} MiB: download it instead")
    return _HTML_DROP.sub("", data.decode("utf-8", errors="replace")).encode("utf-8")
