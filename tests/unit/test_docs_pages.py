"""The docs' pages and pictures: every English page has a Spanish one, every image a page shows
exists (a small PNG), no PNG lies unused, and scripts/docs_screenshots.py is what makes them
(tests/ui/test_docs_screenshots.py runs it)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
# English page -> its Spanish page (the same name unless listed)
SPANISH_NAMES = {"index.md": "README.md", "operators.md": "operadores.md"}
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 200 * 1024


def referenced_images() -> dict[Path, set[str]]:
    """Image file -> the pages that show it."""
    found: dict[Path, set[str]] = {}
    for page in DOCS.rglob("*.md"):
        for target in IMAGE.findall(page.read_text()):
            found.setdefault((page.parent / target).resolve(), set()).add(
                str(page.relative_to(DOCS)))
    return found


def test_every_english_page_has_a_spanish_page() -> None:
    english = sorted(p.name for p in DOCS.glob("*.md"))
    missing = [name for name in english
               if not (DOCS / "es" / SPANISH_NAMES.get(name, name)).is_file()]
    assert not missing, f"docs pages without a Spanish page in docs/es/: {missing}"


def test_every_image_the_docs_show_exists_and_is_a_small_png() -> None:
    images = referenced_images()
    assert len(images) >= 10  # the English and Spanish screenshots
    for image, pages in images.items():
        assert image.is_file(), f"{sorted(pages)} show {image.relative_to(ROOT)}, which is missing"
        data = image.read_bytes()
        assert data.startswith(PNG_MAGIC), image
        assert len(data) <= MAX_PNG_BYTES, f"{image.relative_to(ROOT)}: {len(data)} bytes"
    unused = {p.resolve() for p in DOCS.rglob("*.png")} - set(images)
    assert not unused, f"PNGs no page shows: {sorted(str(p) for p in unused)}"


def test_the_screenshot_script_makes_every_image_the_docs_show() -> None:
    spec = importlib.util.spec_from_file_location("docs_screenshots",
                                                  ROOT / "scripts" / "docs_screenshots.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    made = {(DOCS / folder / name).resolve() for _locale, folder in script.LANGUAGES.values()
            for name in script.SHOTS}
    assert set(referenced_images()) <= made
