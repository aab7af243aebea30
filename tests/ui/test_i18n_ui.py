"""The web UI in Spanish in a real browser: Accept-Language picks it, the footer's switch
(a plain form, no script) changes it, and a page's JS gets its strings in Spanish."""

from __future__ import annotations

import json

from e2e.harness import Client, start_server

from ui.conftest import start_bare_server, wait_until


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


def test_a_run_page_and_its_script_texts_in_spanish(tmp_path, new_page):
    server = start_server(tmp_path / "srv")
    try:
        server.set_password("alice", "alice password")
        client = Client(server=server, root=tmp_path / "client")
        spec = {"init": {"project": "es", "name": "uno"}, "steps": 5, "console": True}
        run, _ = client.script("log_run.py", spec)
        watched = new_page("run-es")
        page = watched.page
        page.set_extra_http_headers({"Accept-Language": "es"})
        page.goto(server.url + "/login")
        page.fill("#username", "alice")
        page.fill("#password", "alice password")
        page.click("button:has-text('Iniciar sesión')")
        page.wait_for_url(server.url + "/")
        page.goto(f"{server.url}/alice/es/runs/{run['id']}")
        page.wait_for_selector("body[data-loaded='1']")
        assert page.get_attribute("html", "lang") == "es"
        assert page.inner_text("#overview-h") == "Resumen general"
        assert page.inner_text("#charts-h") == "Gráficos"
        # a chart's note, which charts.js writes from WB.t with its numbers filled in
        wait_until(page, "[...document.querySelectorAll('.chart')].some("
                         "c => c.innerText.includes('5 puntos'))")
        page.fill("#log-search", "stderr")  # the status line run.js writes, from WB.t
        wait_until(page, "document.getElementById('log-status').textContent"
                         ".endsWith('líneas coincidentes')")
        watched.shot("run")
        watched.check_clean()
    finally:
        server.stop()
