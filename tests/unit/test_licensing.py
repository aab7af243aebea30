from datetime import datetime, timedelta

import pytest

from wbserver.domain.license import FREE_SEATS
from wbserver.licensing import _b64, _unb64, issue, keygen, license_state, verify

NOW = datetime(2026, 6, 1)


def token(private: str, **kw) -> str:
    args = dict(subject="acme", seats=25, teams=3, features=["sso"],
                expires_at=NOW + timedelta(days=365), now=NOW)
    args.update(kw)
    return issue(private, **args)


def test_a_signed_license_grants_seats_teams_and_features():
    private, public = keygen()
    state = license_state(token(private), public, NOW)
    assert state.valid(NOW) and state.seat_limit(NOW) == 25 and state.team_limit(NOW) == 3
    assert state.has_feature("sso", NOW) and not state.has_feature("other", NOW)


def test_untrusted_key_tampered_payload_and_garbage_are_rejected_with_a_reason():
    private, public = keygen()
    _other_private, other_public = keygen()
    good = token(private)
    with pytest.raises(ValueError, match="does not match any trusted key"):
        verify(good, [other_public])
    header, payload, signature = good.split(".")
    tampered_payload = _b64(_unb64(payload).replace(b'"seats": 25', b'"seats": 9999'))
    with pytest.raises(ValueError, match="does not match any trusted key"):
        verify(f"{header}.{tampered_payload}.{signature}", [public])
    with pytest.raises(ValueError, match="three dot-separated parts"):
        verify("not-a-license", [public])
    state = license_state("a.b.c", public, NOW)
    assert state.license is None and state.problem and state.seat_limit(NOW) == FREE_SEATS


def test_an_expired_license_falls_back_to_the_free_limits_but_is_still_described():
    private, public = keygen()
    state = license_state(token(private, expires_at=NOW - timedelta(days=1)), public, NOW)
    assert state.license is not None and not state.valid(NOW)
    assert state.seat_limit(NOW) == FREE_SEATS and not state.has_feature("sso", NOW)
    assert "expired" in state.describe(NOW)
