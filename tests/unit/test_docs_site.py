"""The docs build as a static site (mkdocs.yml) in strict mode, loading nothing from outside."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


class AssetUrls(HTMLParser):
    """URLs a browser fetches by itself to show a page: scripts, styles, icons, images,
    frames, fonts (links a reader clicks, <a href>, are not assets)."""

    ATTRIBUTES = {"script": "src", "link": "href", "img": "src", "iframe": "src",
                  "source": "src", "video": "src", "audio": "src", "embed": "src",
                  "object": "data"}

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = self.ATTRIBUTES.get(tag)
        for name, value in attrs:
            if value and (name == wanted or name == "srcset"):
                self.urls.append(value)


def _nav_pages(nav: list[object]) -> list[str]:
    """The page files a (nested) MkDocs nav names."""
    pages: list[str] = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages += _nav_pages(value) if isinstance(value, list) else [str(value)]
    return pages


def external(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "//"))


def test_docs_site_builds_strict_with_every_page_and_no_outside_assets(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean",
                           "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "WARNING" not in done.stderr, done.stderr

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    in_nav = set(_nav_pages(config["nav"]))
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert pages == in_nav, f"docs pages not in the nav: {pages - in_nav}"
    for page in pages:
        built = page.replace("README.md", "index.md").replace(".md", ".html")
        assert (site / built).is_file(), page

    outside: list[str] = []
    for html in site.rglob("*.html"):
        parser = AssetUrls()
        parser.feed(html.read_text())
        outside += [f"{html.relative_to(site)}: {u}" for u in parser.urls if external(u)]
    for css in site.rglob("*.css"):
        text = css.read_text(errors="replace")
        outside += [f"{css.relative_to(site)}: {part[:80]}" for part in
                    text.replace("url(", "\0").split("\0")[1:]
                    if external(part.lstrip("'\""))]
        assert "@import" not in text or "@import url(http" not in text, css
    assert not outside, "the site loads assets from outside itself:\n" + "\n".join(outside)
