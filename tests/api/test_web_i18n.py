"""The web UI in Spanish: by Accept-Language, by the footer's switch (POST /lang sets the
`lang` cookie, CSRF-checked), English by default, <html lang> to match."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from wbserver.domain.users import create_api_key

from .conftest import UPSERT
from .test_web_accounts import csrf, post_form, setup_admin


@pytest.fixture
def web(app):
    with TestClient(app, follow_redirects=False) as client:
        setup_admin(client)  # /login shows its form once an admin exists
        client.cookies.clear()
        yield client


def test_english_is_the_default(web):
    html = web.get("/login").text
    assert '<html lang="en">' in html and "<h1>Sign in</h1>" in html


def test_accept_language_es_renders_the_page_in_spanish(web):
    html = web.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.8"}).text
    assert '<html lang="es">' in html
    assert "<h1>Iniciar sesión</h1>" in html and "Nombre de usuario" in html
    # a language we lack, preferred over Spanish: Spanish still beats the English default
    html = web.get("/login", headers={"Accept-Language": "de;q=1, es;q=0.5"}).text
    assert '<html lang="es">' in html
    html = web.get("/login", headers={"Accept-Language": "en;q=1, es;q=0.5"}).text
    assert '<html lang="en">' in html


def test_the_switch_sets_a_cookie_that_beats_accept_language(web):
    response = post_form(web, "/lang", {"lang": "es", "next": "/login"}, page="/login")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert web.cookies.get("lang") == "es"
    html = web.get("/login", headers={"Accept-Language": "en"}).text
    assert '<html lang="es">' in html and "<h1>Iniciar sesión</h1>" in html
    response = post_form(web, "/lang", {"lang": "en", "next": "/login"}, page="/login")
    assert web.cookies.get("lang") == "en"
    assert '<html lang="en">' in web.get("/login", headers={"Accept-Language": "es"}).text


def test_the_switch_needs_the_form_token_a_known_language_and_a_local_next(web):
    web.get("/login")
    response = web.post("/lang", data={"lang": "es", "csrf_token": "forged"})
    assert response.status_code == 403 and "lang" not in web.cookies
    response = post_form(web, "/lang", {"lang": "xx"}, page="/login")
    assert response.status_code == 400 and "lang" not in web.cookies
    response = post_form(web, "/lang", {"lang": "es", "next": "//evil.example/x"}, page="/login")
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_signed_in_pages_and_page_messages_are_spanish(web):
    post_form(web, "/login", {"username": "root", "password": "correct horse"})
    web.cookies.set("lang", "es")
    html = web.get("/").text
    assert '<html lang="es">' in html and "Cerrar sesión" in html and "Proyectos" in html
    html = web.get("/settings").text
    token = csrf(html)
    response = web.post("/settings/password", data={"current": "wrong", "new": "x" * 20,
                                                     "csrf_token": token})
    assert response.status_code == 400 and "la contraseña actual es incorrecta" in response.text
    # the error page of a domain error: its heading translated, its text shown as it is
    response = web.get("/nobody/nothing")
    assert "Eso no funcionó" in response.text
    # a refusal the web layer raises (the form's CSRF check), in Spanish on its page
    response = web.post("/settings/keys", data={"name": "k", "csrf_token": "forged"})
    assert response.status_code == 403 and "este formulario caducó" in response.text
    # the JS strings come in the page's data block
    assert '"zoomed": "ampliado"' in html or '"zoomed":"ampliado"' in html


SEATS_FULL_ES = ("sin licencia se permiten como máximo 4 usuarios activos; añade una licencia: "
                 "define LICENSE, pégala en /system-admin o ejecuta `wbserver license install`; "
                 "no se creó ninguna invitación")


def test_domain_messages_are_spanish_on_pages_and_english_everywhere_else(web, app):
    """A domain error (errors.Msg) on a page is in the reader's language, parameters and
    nested messages included; the API keeps the English text the wandb client parses."""
    es = {"Accept-Language": "es"}
    bad = web.post("/login", headers=es, data={
        "username": "root", "password": "wrong-password",
        "csrf_token": csrf(web.get("/login", headers=es).text)})
    assert bad.status_code == 401 and "usuario o contraseña incorrectos" in bad.text
    assert "wrong user name or password" not in bad.text

    post_form(web, "/login", {"username": "root", "password": "correct horse"})
    web.cookies.set("lang", "es")
    response = post_form(web, "/system-admin/users", {"username": "bob", "email": "not-mail",
                                                      "password": "long enough pw"})
    assert response.status_code == 400
    assert "&#39;not-mail&#39; no es una dirección de correo electrónico" in response.text
    for name in ("u2", "u3", "u4"):  # with root, every one of the 4 free seats is taken
        response = post_form(web, "/system-admin/users", {
            "username": name, "email": f"{name}@example.com", "password": "long enough pw"})
        assert response.status_code == 200, response.text[-2000:]
    response = post_form(web, "/system-admin/invites", {"email": ""}, page="/system-admin/users")
    assert response.status_code in (400, 403, 409, 429) and SEATS_FULL_ES in response.text

    web.cookies.set("lang", "en")
    response = post_form(web, "/system-admin/invites", {"email": ""}, page="/system-admin/users")
    assert ("without a license at most 4 active users are allowed; add a license: set LICENSE, "
            "paste it on /system-admin, or run `wbserver license install`; no invite was made"
            in response.text)

    with TestClient(app) as api:  # the API: English whatever the client's language
        answer = api.post("/graphql", json={"query": "{ viewer { username } }"},
                          auth=("api", "local-" + "x" * 40), headers=es)
        assert answer.status_code == 401
        assert "invalid api key" in answer.text and "no es" not in answer.text


def test_the_settings_page_help_sections_and_origins_are_spanish(web):
    post_form(web, "/login", {"username": "root", "password": "correct horse"})
    web.cookies.set("lang", "es")
    html = web.get("/system-admin").text
    assert "<h2>Almacenamiento</h2>" in html and "<h2>Límites</h2>" in html
    assert "La URL externa de este servidor" in html  # HOST's help, from the registry
    assert "The external URL of this server" not in html
    assert '<td class="small">predeterminado</td>' in html
    assert 'placeholder="no definido — ' in html  # a secret not set
    assert '<p id="license-state">sin licencia</p>' in html
    assert "Los archivos se guardan en " in html and "El almacén responde." in html  # storage box
    assert "no hace falta ninguna regla CORS" in html
    web.cookies.set("lang", "en")
    html = web.get("/system-admin").text
    assert "The external URL of this server" in html and "<h2>Storage</h2>" in html
    assert "Files are stored in " in html and "The store answers." in html
    assert '<td class="small">default</td>' in html and '<p id="license-state">no license</p>' in html


def test_run_states_are_shown_in_the_page_language(web, app):
    store = app.state.services.store
    key = create_api_key(store, username="root")
    for name, finish in (("done", True), ("live", False)):
        assert web.post("/graphql", auth=("api", key), json={"query": UPSERT, "variables": {
            "name": name, "project": "proj", "entity": "root"}}).status_code == 200
        if finish:
            web.post(f"/files/root/proj/{name}/file_stream", auth=("api", key),
                     json={"complete": True, "exitcode": 0})
    post_form(web, "/login", {"username": "root", "password": "correct horse"})
    web.cookies.set("lang", "es")
    table = web.get("/root/proj/table").text
    assert '<span class="state state-finished">terminada</span>' in table
    assert '<span class="state state-running">en curso</span>' in table
    assert '"running": "en curso"' in table or '"running":"en curso"' in table  # for the scripts
    run = web.get("/root/proj/runs/done").text
    assert 'id="run-state">terminada</span>' in run
    web.cookies.set("lang", "en")
    assert '<span class="state state-finished">finished</span>' in web.get("/root/proj/table").text
