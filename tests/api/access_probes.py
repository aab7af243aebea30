"""Probes for the access matrix: each asks the server one thing as one identity about one
project and says whether it was let through (an answer with the data) or not (401, 403, 404,
a redirect to /login, or a null where the data would be). Anything else (a 400 or 500 not
expected by the row) fails the test: a probe must tell allow from deny unambiguously."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from .security_world import PROJECTS, World

Vars = Callable[[World, str, str], dict[str, Any]]  # (world, identity, visibility) -> values
DENIED = frozenset({401, 403, 404})
_serial = itertools.count(1)


def serial() -> int:
    """A number no other probe has used (names of things a probe creates)."""
    return next(_serial)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    status: int
    detail: str


def where(vis: str) -> dict[str, str]:
    entity, project = PROJECTS[vis]
    return {"e": entity, "p": project}


def gid(kind: str, number: int) -> str:
    return base64.b64encode(f"{kind}:{number}".encode()).decode()


def number_of(graphql_id: str) -> int:
    return int(base64.b64decode(graphql_id).decode().partition(":")[2])


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data


def gql(query: str, path: tuple[str, ...], variables: Vars | None = None,
        nonempty: bool = False) -> Callable[[World, str, str], Verdict]:
    """POST /graphql with the identity's API key; allowed when `path` of the data holds a
    value (a non-empty one with `nonempty`)."""
    def probe(world: World, who: str, vis: str) -> Verdict:
        values = variables(world, who, vis) if variables else {}
        response = world.gql(who, query, **values)
        body = response.json()
        if response.status_code in DENIED:
            return Verdict(False, response.status_code, response.text[:200])
        assert response.status_code == 200 and not body.get("errors"), response.text
        value = _dig(body.get("data"), path)
        allowed = bool(value) if nonempty else value is not None
        return Verdict(allowed, 200, response.text[:200])
    return probe


def lists_project(query: str, path: tuple[str, ...]) -> Callable[[World, str, str], Verdict]:
    """A GraphQL connection of projects: allowed when the project of the row's visibility is
    among the names it lists (`path` leads to the edges)."""
    def probe(world: World, who: str, vis: str) -> Verdict:
        response = world.gql(who, query)
        if response.status_code in DENIED:
            return Verdict(False, response.status_code, response.text[:200])
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), response.text
        names = {edge["node"]["name"] for edge in _dig(body.get("data"), path) or []}
        return Verdict(PROJECTS[vis][1] in names, 200, response.text[:200])
    return probe


def _http_verdict(response: httpx.Response, passed: frozenset[int]) -> Verdict:
    status = response.status_code
    to_login = status in (302, 303, 307) and \
        response.headers.get("location", "").startswith("/login")
    if status in DENIED or to_login:
        return Verdict(False, 401 if to_login else status, response.text[:200])
    assert 200 <= status < 400 or status in passed, f"{status}: {response.text[:300]}"
    return Verdict(True, status, response.text[:200])


def rest(method: str, url: Callable[[World, str, str], str],
         body: Callable[[World, str, str], dict[str, Any]] | None = None,
         passed: frozenset[int] = frozenset()) -> Callable[[World, str, str], Verdict]:
    """An API route with the identity's API key (Basic auth)."""
    def probe(world: World, who: str, vis: str) -> Verdict:
        kwargs = body(world, who, vis) if body else {}
        response = world.client.request(method, url(world, who, vis),
                                        headers=world.headers(who), follow_redirects=False,
                                        **kwargs)
        return _http_verdict(response, passed)
    return probe


def page(method: str, url: Callable[[World, str, str], str],
         form: Callable[[World, str, str], dict[str, str]] | None = None,
         passed: frozenset[int] = frozenset()) -> Callable[[World, str, str], Verdict]:
    """A browser route with the identity's session cookie; forms carry its CSRF token."""
    def probe(world: World, who: str, vis: str) -> Verdict:
        kwargs: dict[str, Any] = {}
        if method == "POST":
            kwargs["data"] = {"csrf_token": world.csrf(who),
                              **(form(world, who, vis) if form else {})}
        return _http_verdict(world.page(who, method, url(world, who, vis), **kwargs), passed)
    return probe


def at(template: str) -> Callable[[World, str, str], str]:
    """A URL from a template of {e} (entity), {p} (project) and {id} (r1's storage id)."""
    return lambda world, _who, vis: template.format(**where(vis))
