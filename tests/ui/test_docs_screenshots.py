"""scripts/docs_screenshots.py still makes every screenshot the docs show, from a live server
filled by the real wandb client, in English and Spanish (the committed PNGs can always be made
again: `.venv/bin/python scripts/docs_screenshots.py`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from unit.test_docs_pages import DOCS, PNG_MAGIC, ROOT, referenced_images


def test_the_script_makes_every_screenshot_the_docs_show(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "docs_screenshots.py"),
                           "--docs", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for image in referenced_images():
        made = tmp_path / image.relative_to(DOCS)
        assert made.is_file(), f"the script did not make {made.relative_to(tmp_path)}"
        data = made.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 8 * 1024, made  # a page, not blank
