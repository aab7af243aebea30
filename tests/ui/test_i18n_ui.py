"""The web UI in Spanish in a real browser: Accept-Language picks it, the footer's switch
(a plain form, no script) changes it, and a page's JS gets its strings in Spanish."""

from __future__ import annotations

import json

from .conftest import start_bare_server


def test_spanish_by_accept_language_and_by_the_footer_switch(tmp_path, new_page):
    server = start_bare_server(tmp_path / "srv")
    try:
        watched = new_page("es")
        page = watched.page
        page.goto(server.url + "/setup")
        assert page.get_attribute("html", "lang") == "en"
        assert page.inner_text("h1") == "Welcome to wbserver"
        page.click("footer button[value=es]")  # the switch: POST /lang, back to this page
        page.wait_for_url("**/setup")
        assert page.get_attribute("html", "lang") == "es"
        assert page.inner_text("h1") == "Te damos la bienvenida a wbserver"
        page.fill("#username", "root")
        page.fill("#email", "root@example.com")
        page.fill("#password", "correct horse")
        page.click("text=Crear la cuenta de administrador")
        page.wait_for_url("**/settings")
        assert page.inner_text("h1") == "Tus ajustes"
        assert "Cerrar sesión" in page.inner_text("header")
        texts = json.loads(page.eval_on_selector("#ui-text", "e => e.textContent"))
        assert texts["No console output yet."] == "Todavía no hay salida de consola."
        watched.shot("settings-es")
        watched.check_clean()

        other = new_page("accept-language")
        other.page.set_extra_http_headers({"Accept-Language": "es-MX,es;q=0.9"})
        other.page.goto(server.url + "/login")
        assert other.page.get_attribute("html", "lang") == "es"
        assert other.page.inner_text("h1") == "Iniciar sesión"
        other.check_clean()
    finally:
        server.stop()
