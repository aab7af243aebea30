"""The pages need nothing the Content-Security-Policy refuses: no inline script code, no
inline event handlers, no `javascript:` links, no style attributes or <style> blocks, and
the scripts build no markup with them either (issue #18, item 8)."""

from __future__ import annotations

import re
from pathlib import Path

import wbserver.web

WEB = Path(wbserver.web.__file__).resolve().parent
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
SCRIPTS = sorted((WEB / "static" / "ui").glob("*.js"))

EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def test_the_policy_allows_no_inline_script_or_style():
    from wbserver.api.security_headers import CONTENT_SECURITY_POLICY

    directives = {d.split()[0]: d.split()[1:] for d in CONTENT_SECURITY_POLICY.split("; ")}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]


def test_templates_hold_nothing_the_policy_refuses():
    assert TEMPLATES
    for path in TEMPLATES:
        text = path.read_text()
        assert not EVENT_HANDLER.search(text), f"{path.name}: inline event handler"
        assert not STYLE_ATTRIBUTE.search(text), f"{path.name}: style attribute"
        assert "<style" not in text.lower(), f"{path.name}: <style> block"
        assert "javascript:" not in text.lower(), f"{path.name}: javascript: URL"
        for attributes in SCRIPT_TAG.findall(text):
            assert "src=" in attributes or 'type="application/json"' in attributes, (
                f"{path.name}: inline <script{attributes}>")


def test_scripts_build_no_markup_the_policy_refuses():
    assert SCRIPTS
    for path in SCRIPTS:
        text = path.read_text()
        for refused in ("eval(", "new Function", "setAttribute(\"style\"",
                        "setAttribute('style'", "setAttribute(\"on", "setAttribute('on",
                        "javascript:", "insertAdjacentHTML", "document.write"):
            assert refused not in text, f"{path.name}: {refused}"
        for assignment in re.findall(r"innerHTML\s*=\s*([^;]*)", text):
            assert not re.search(r"style\s*=|\son[a-z]+\s*=", assignment), (
                f"{path.name}: markup with a style or handler attribute")
