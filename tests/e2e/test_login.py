"""`wandb login --host URL KEY` against the server, with a good and a bad key."""

from __future__ import annotations

import secrets
import string
from pathlib import Path

from .harness import Client, Server, show


def test_login_with_good_key_writes_netrc(server: Server, tmp_path: Path) -> None:
    client = Client(server=server, root=tmp_path / "good", api_key="", set_base_url=False)
    result = client.wandb_cli("login", "--relogin", "--host", server.url, server.api_key)
    print(show(result, "wandb login (good key)"))
    assert result.returncode == 0, show(result, "wandb login with a good key")

    netrc = (client.root / "home" / ".netrc").read_text()
    assert f"machine 127.0.0.1:{server.port}" in netrc, netrc
    assert server.api_key in netrc, netrc

    # The stored host and key are enough for the public API afterwards.
    code = "import wandb; print('VIEWER=' + wandb.Api().viewer.entity)"
    after = client.run("-c", code)
    assert after.returncode == 0, show(after, "wandb.Api() after login")
    assert "VIEWER=alice" in after.stdout, show(after, "wandb.Api() after login")


def test_login_with_bad_key_fails_clearly(server: Server, tmp_path: Path) -> None:
    alphabet = string.ascii_letters + string.digits
    bad_key = "local-" + "".join(secrets.choice(alphabet) for _ in range(40))
    assert bad_key != server.api_key
    client = Client(server=server, root=tmp_path / "bad", api_key="", set_base_url=False)
    result = client.wandb_cli("login", "--relogin", "--host", server.url, bad_key)
    print(show(result, "wandb login (bad key)"))
    output = (result.stdout + result.stderr).lower()
    assert result.returncode != 0, show(result, "wandb login with a bad key must fail")
    assert "invalid" in output or "api key" in output or "authenticate" in output, output

    netrc = client.root / "home" / ".netrc"
    assert not netrc.exists() or bad_key not in netrc.read_text()


def test_python_login_verify(server: Server, tmp_path: Path) -> None:
    client = Client(server=server, root=tmp_path / "py", api_key="", set_base_url=False)
    code = (
        "import sys, wandb\n"
        "ok = wandb.login(host=sys.argv[1], key=sys.argv[2], verify=True, relogin=True)\n"
        "print('LOGIN=' + str(ok))\n"
    )
    result = client.run("-c", code, server.url, server.api_key)
    assert result.returncode == 0, show(result, "wandb.login(verify=True)")
    assert "LOGIN=True" in result.stdout, show(result, "wandb.login(verify=True)")
