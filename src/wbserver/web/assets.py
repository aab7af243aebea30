"""The run page's and the workspace's scripts and styles, each served as one file.

A page that loads eighteen small files spends most of its first visit waiting for them (a
browser opens six connections to a server); joined, they are one request each for scripts
and styles. A joined file's URL carries a hash of its content (`/_assets/run.3f2a….js`), so
it is cached for good and a new version of wbserver is a new URL. The parts stay separate
files under static/ (they are what the tests and the i18n extraction read); every script is
its own function scope, so joining them changes nothing. Built once per process, gzipped
for clients that accept it."""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

STATIC = Path(__file__).with_name("static")
UPLOT = "vendor/uplot-1.6.32"
MEDIA = ["ui/media_common.js", "ui/media_image.js", "ui/media_table.js",
         "ui/media_histogram.js", "ui/media_html.js", "ui/media_player.js", "ui/media_chart.js"]
STYLES = ["app.css", "ui.css", f"{UPLOT}/uPlot.min.css"]


def _panel_scripts() -> list[str]:
    """The workspace's panel kinds (static/ui/panel_*.js): a new kind is one more file."""
    return sorted(f"ui/{p.name}" for p in (STATIC / "ui").glob("panel_*.js"))


def _parts(name: str) -> list[str]:
    return {
        "run.js": [f"{UPLOT}/uPlot.iife.min.js", "ui/charts.js", "ui/run.js", *MEDIA,
                   "ui/media.js", "ui/file_preview.js", "ui/file_tree.js", "ui/lineage.js",
                   "ui/run_edit.js"],
        "run.css": STYLES,
        "workspace.js": [f"{UPLOT}/uPlot.iife.min.js", "ui/charts.js", "ui/panels.js", *MEDIA,
                         *_panel_scripts(), "ui/workspace.js"],
        "workspace.css": [*STYLES, "workspace.css"],
    }.get(name, [])


@dataclass(frozen=True)
class Asset:
    digest: str
    body: bytes
    gzipped: bytes
    media_type: str


@functools.cache
def asset(name: str) -> Asset | None:
    parts = _parts(name)
    if not parts:
        return None
    js = name.endswith(".js")
    # a script may end without a semicolon or newline, or in a line comment
    body = (";\n" if js else "\n").join(
        (STATIC / p).read_text(encoding="utf-8").rstrip() for p in parts).encode() + b"\n"
    return Asset(digest=hashlib.sha256(body).hexdigest()[:16], body=body,
                 gzipped=gzip.compress(body, mtime=0),
                 media_type="text/javascript; charset=utf-8" if js else "text/css; charset=utf-8")


def asset_url(name: str) -> str:
    """`/_assets/<stem>.<hash>.<ext>` of a joined file NAME ("run.js")."""
    found = asset(name)
    if found is None:
        raise KeyError(name)
    stem, _, ext = name.rpartition(".")
    return f"/_assets/{stem}.{found.digest}.{ext}"


async def serve(request: Request) -> Response:
    """GET /_assets/<stem>.<hash>.<ext>: the joined file, cached for a year when the hash is
    this version's (an older page's URL gets the current content, not cached)."""
    stem, _, rest = request.path_params["name"].partition(".")
    digest, _, ext = rest.partition(".")
    found = asset(f"{stem}.{ext}")
    if found is None:
        return PlainTextResponse("no such asset", status_code=404)
    headers = {"Cache-Control": "public, max-age=31536000, immutable"
               if digest == found.digest else "no-cache", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
