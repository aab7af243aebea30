"""The token endpoint's answer is the provider's JSON: anything but an object is refused
with Unauthenticated (401), never an AttributeError (500)."""

from __future__ import annotations

import httpx
import pytest

from wbserver.errors import Unauthenticated
from wbserver.sso import tokens
from wbserver.sso.provider import Endpoints, OidcClient

CLIENT = OidcClient(issuer="https://idp.example", client_id="wbserver", client_secret="s",
                    auth_method="client_secret_basic", scopes=("openid",), overrides={})
ENDPOINTS = Endpoints(issuer="https://idp.example", authorization="https://idp.example/auth",
                      token="https://idp.example/token", jwks_uri="https://idp.example/jwks",
                      userinfo=None, end_session=None)


@pytest.mark.parametrize("status", [200, 400])
@pytest.mark.parametrize("body", [[], ["id_token"], "id_token", 3, None])
def test_a_token_answer_that_is_not_a_json_object_is_refused(monkeypatch, status, body) -> None:
    monkeypatch.setattr(httpx, "post",
                        lambda *_a, **_k: httpx.Response(status, json=body))
    with pytest.raises(Unauthenticated):
        tokens.exchange_code(CLIENT, ENDPOINTS, code="c", redirect_uri="https://wb/cb",
                             code_verifier="v")
