"""Every user-visible string of the web UI (templates, page handlers, static/ui/*.js, the
messages other layers mark with errors.Msg, the settings registry's help) has a Spanish
translation: the strings are extracted here with Babel's extractors (babel.cfg, as
`pybabel extract` does) and compared with locale/es/LC_MESSAGES/messages.po."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from wbserver.web.i18n import JS_TEXTS, LOCALE, translations

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "WB.t": None,
            "translated": (2,), "Msg": None}
METHODS = [("src/wbserver/config/settings.py", "wbserver.web.i18n_extract:extract_settings"),
           ("src/wbserver/**.py", "python"),
           ("src/wbserver/web/templates/**.html", "jinja2.ext:babel_extract"),
           ("src/wbserver/web/static/ui/**.js", "javascript")]
OPTIONS = {"src/wbserver/web/templates/**.html": {"extensions": "jinja2.ext.i18n",
                                                   "trim_blocks": "true",
                                                   "lstrip_blocks": "true"}}


def extracted() -> dict[str, set[str]]:
    """msgid -> the files it comes from."""
    found: dict[str, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, OPTIONS, KEYWORDS):
        if not filename.startswith("src/wbserver/"):
            continue
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, set()).add(filename)
    return found


def spanish():
    with (LOCALE / "es" / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale="es")


def test_every_ui_string_has_a_spanish_translation():
    strings = extracted()
    assert len(strings) > 40  # the extractors did find the UI's strings
    catalogue = spanish()
    missing = {m: sorted(f) for m, f in strings.items() if catalogue.get(m) is None}
    untranslated = sorted(m.id for m in catalogue if m.id and (not m.string or m.fuzzy))
    assert not missing, f"not in es/messages.po (run pybabel extract/update): {missing}"
    assert not untranslated, f"untranslated or fuzzy in es/messages.po: {untranslated}"


def test_the_js_strings_handed_to_pages_are_the_ones_the_js_asks_for():
    in_js = {m for m, files in extracted().items() if any(f.endswith(".js") for f in files)}
    assert in_js == set(JS_TEXTS)


def test_the_template_catalogue_lists_every_string():
    with (LOCALE / "messages.pot").open("rb") as fp:
        pot = {m.id for m in read_po(fp) if m.id}
    assert set(extracted()) <= pot


def test_placeholders_survive_translation():
    for message in spanish():
        if message.id and "%(" in message.id:
            names = sorted(part.split(")")[0] for part in message.id.split("%(")[1:])
            assert sorted(p.split(")")[0] for p in message.string.split("%(")[1:]) == names


def test_the_runtime_compiles_the_po():
    assert translations("es").gettext("Sign out") == "Cerrar sesión"
    assert translations("en").gettext("Sign out") == "Sign out"
