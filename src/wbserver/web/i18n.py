"""The UI's languages: gettext catalogues (locale/<lang>/LC_MESSAGES/messages.po) compiled in
memory with Babel when first needed, and the language of a request (the `lang` cookie the
footer's switch sets, else Accept-Language, else English)."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import Request

from wbserver.errors import Msg

if TYPE_CHECKING:  # Babel is imported when a page first needs a catalogue, not at start
    from babel.support import NullTranslations

LOCALE = Path(__file__).with_name("locale")
DEFAULT = "en"
LANGUAGES = {"en": "English", "es": "Español"}
LANG_COOKIE = "lang"
# strings of static/ui/*.js (WB.t), handed to the page in its #ui-text data block
JS_TEXTS = ("zoomed", "matching lines", "No console output yet.", "live update paused:",
            "could not load:", "%(shown)s of %(total)s points (downsampled; drag to zoom in)",
            "%(total)s points", "%(count)s NaN or ±∞ not drawn", "%(count)s groups",
            "%(count)s runs", "more", "shown", "lines", "points", "saved",
            "could not save layout:", "no viewer yet for",
            "step", "Steps", "Filter rows", "Previous page", "Next page", "rows",
            "page", "Histograms over steps", "Latest histogram", "Values", "Preview",
            "Chart preset not known here; its table:",
            "%(count)s runs without %(metric)s (dashed)", "Parameter", "Importance",
            "Correlation", "Same in every run:", "No config key varies between these runs.",
            "Config key", "These runs have no numeric summary value to analyse.",
            "Parameter importance needs at least %(min)s runs with a value of %(metric)s; "
            "%(scored)s of %(total)s have one.",
            "file", "files", "Show more", "run", "nodes",
            "No lineage: no run logged or used artifacts here.",
            "a limit cut the graph: open a node to see further",
            "%(shown)s of %(total)s shown runs with this key (a media panel shows the first %(cap)s)",
            "no shown run logged this key", "could not save:", "could not delete:",
            "This run will be deleted in %(seconds)s s.")


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    return message


# a run's state as pages show it (templates: `_(run.state)`; scripts: `WB.t(state)`)
RUN_STATE_TEXTS = (N_("running"), N_("finished"), N_("failed"), N_("crashed"), N_("pending"))


@functools.cache
def translations(lang: str) -> NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    po = LOCALE / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not po.is_file():
        return NullTranslations()
    with po.open("rb") as fp:
        catalog = read_po(fp, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def _from_accept_language(header: str) -> str:
    best, best_q = DEFAULT, 0.0
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


def language(request: Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return _from_accept_language(request.headers.get("accept-language", ""))


def localized(gettext: Callable[[str], str], text: str) -> str:
    """TEXT in the language of GETTEXT: a Msg (a domain message) by its template, with its
    Msg parameters translated too; any other text as a msgid (unchanged when unknown)."""
    if not isinstance(text, Msg):
        return gettext(text)
    params = {name: localized(gettext, value) if isinstance(value, Msg) else value
              for name, value in text.params.items()}
    template = gettext(text.template)
    if not params:
        return template
    try:
        return template % params
    except (KeyError, TypeError, ValueError):  # a translation whose placeholders differ
        return text.template % params


def translated(request: Request, message: str) -> str:
    """`message` in the request's language (unchanged when the catalogue lacks it)."""
    return localized(translations(language(request)).gettext, message)


def js_texts(lang: str) -> dict[str, str]:
    t = translations(lang)
    return {text: t.gettext(text) for text in (*JS_TEXTS, *RUN_STATE_TEXTS)}
