"""The account commands: the seat limit holds on the command line too, and a license lifts it."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

from wbserver.licensing import issue, keygen


def cli(tmp_path, *args: str, stdin: str = "", env: dict[str, str] | None = None):
    return subprocess.run([sys.executable, "-m", "wbserver", *args, "--data-dir",
                           str(tmp_path / "data")], input=stdin, text=True, capture_output=True,
                          env={"PATH": "/usr/bin:/bin", **(env or {})}, timeout=60)


def test_fifth_user_refused_until_a_license_is_installed(tmp_path):
    for i, name in enumerate(("root", "u1", "u2", "u3")):
        made = cli(tmp_path, "users", "create", name, "--email", f"{name}@example.com",
                   *(["--admin"] if i == 0 else []))
        assert made.returncode == 0, made.stderr
    fifth = cli(tmp_path, "users", "create", "u4", "--email", "u4@example.com")
    assert fifth.returncode == 1
    assert "at most 4 active users" in fifth.stderr and "license" in fifth.stderr
    invite = cli(tmp_path, "users", "invite", "--email", "u4@example.com")
    assert invite.returncode == 1 and "/invite/" not in invite.stdout  # seats full: no link
    assert "at most 4 active users" in invite.stderr and "no invite was made" in invite.stderr

    private, public = keygen()
    token = issue(private, subject="acme", seats=10, teams=3, features=[],
                  expires_at=datetime.utcnow() + timedelta(days=10))
    env = {"WBSERVER_LICENSE_PUBLIC_KEYS": public}
    forged = cli(tmp_path, "license", "install", stdin=token[:-4] + "AAAA\n", env=env)
    assert forged.returncode == 1 and "license refused" in forged.stderr
    assert cli(tmp_path, "license", "install", stdin=token + "\n", env=env).returncode == 0
    assert "10 seats" in cli(tmp_path, "license", "show", env=env).stdout
    invite = cli(tmp_path, "users", "invite", "--email", "u4@example.com", env=env)
    assert invite.returncode == 0 and "/invite/" in invite.stdout
    assert cli(tmp_path, "users", "create", "u4", "--email", "u4@example.com", env=env).returncode == 0

    assert cli(tmp_path, "users", "deactivate", "u1", env=env).returncode == 0
    listed = cli(tmp_path, "users", "list", env=env).stdout
    assert "u1\tu1@example.com\tdeactivated" in listed
    key = cli(tmp_path, "keys", "create", "u2", env=env).stdout.strip()
    assert key.startswith("local-") and len(key) == 46
    keys = cli(tmp_path, "keys", "list", "u2", env=env).stdout
    assert key[:10] in keys and key not in keys
    key_id = keys.split("\t")[0]
    assert cli(tmp_path, "keys", "revoke", "u2", key_id, env=env).returncode == 0
    assert cli(tmp_path, "keys", "list", "u2", env=env).stdout.strip() == ""
