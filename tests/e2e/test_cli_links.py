"""Links the CLI prints name the address the server listens on when HOST is empty."""

from __future__ import annotations

from pathlib import Path

import httpx

from .harness import start_server


def test_wildcards_become_loopback():
    from wbserver.config.listening import address_of

    assert address_of("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert address_of("::", 9000) == "http://[::1]:9000"
    assert address_of("wandb.lan", 80) == "http://wandb.lan:80"


def test_reset_invite_and_new_user_links_use_the_served_port(tmp_path: Path) -> None:
    server = start_server(tmp_path)  # a free port, not 8080; HOST empty
    try:
        for args in (("users", "reset-password", "alice"), ("users", "invite"),
                     ("users", "create", "bob", "--email", "bob@example.com")):
            result = server.cli(*args)
            link = result.stdout.strip().splitlines()[-1]
            assert link.startswith(server.url + "/"), (args, result.stdout)
            assert "HOST is empty" in result.stderr and server.url in result.stderr
            assert httpx.get(link).status_code == 200  # the link opens on the running server
    finally:
        server.stop()
