"""errors.Msg: a domain message that is its English text everywhere (API, CLI, logs) and that
a page shows in the reader's language (web/i18n.py `localized`)."""

from __future__ import annotations

import json

from wbserver.domain.license import seat_limit_message
from wbserver.errors import LimitExceeded, Msg
from wbserver.web.i18n import localized, translations


def test_a_msg_is_its_english_text() -> None:
    message = Msg("user %(name)r not found", name="bob")
    assert message == "user 'bob' not found" and isinstance(message, str)
    error = LimitExceeded(message)
    assert str(error) == error.message == "user 'bob' not found"
    assert json.dumps({"message": error.message}) == '{"message": "user \'bob\' not found"}'
    assert Msg("100% sure") == "100% sure"  # no parameters: no formatting


def test_a_page_shows_it_in_spanish_nested_messages_too() -> None:
    spanish = translations("es").gettext
    message = Msg("%(limit)s; no invite was made", limit=seat_limit_message(4, licensed=False))
    assert message.startswith("without a license at most 4 active users are allowed; add a")
    assert localized(spanish, message) == (
        "sin licencia se permiten como máximo 4 usuarios activos; añade una licencia: define "
        "LICENSE, pégala en /system-admin o ejecuta `wbserver license install`; no se creó "
        "ninguna invitación")
    assert localized(translations("en").gettext, message) == message
    # parameters that are not Msgs (a user name, a provider's reason) are never translated
    assert localized(spanish, Msg("the account %(user)s is deactivated; ask an admin",
                                  user="default")) == (
        "la cuenta default está desactivada; pregunta a un administrador")


def test_a_translation_with_other_placeholders_falls_back_to_english() -> None:
    broken = {"user %(name)r not found": "no se encontró %(nombre)s"}.get
    message = Msg("user %(name)r not found", name="bob")
    assert localized(lambda text: broken(text) or text, message) == "user 'bob' not found"
