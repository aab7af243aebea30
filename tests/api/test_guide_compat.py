"""The W&B Local guide's addresses keep working here."""

from __future__ import annotations


def test_admin_settings_redirects_to_system_admin(api):
    answer = api.client.get("/admin-settings", follow_redirects=False)
    assert answer.status_code == 301 and answer.headers["location"] == "/system-admin"
