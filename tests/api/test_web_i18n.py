"""The web UI in Spanish: by Accept-Language, by the footer's switch (POST /lang sets the
`lang` cookie, CSRF-checked), English by default, <html lang> to match."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

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
