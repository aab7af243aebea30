"""The real client against a server on MariaDB (MYSQL=...), and against projects it may not
write or read: a clear error from wandb.init, nothing listed by wandb.Api."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from .harness import Client, Server, log_and_read_back_a_rich_run, show, start_server

MARIADB = dict(host="127.0.0.1", port=3306, user="root", password="")


@pytest.fixture(scope="module")
def mysql_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    name = "wbe2e_" + secrets.token_hex(5)
    admin = pymysql.connect(**MARIADB)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    server = start_server(tmp_path_factory.mktemp("mysql-server"),
                          extra_env={"MYSQL": f"mysql://root:@127.0.0.1:3306/{name}"})
    try:
        yield server
    finally:
        server.stop()
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.close()


def test_a_run_on_mariadb_reads_back_exactly(mysql_server: Server, tmp_path: Path) -> None:
    tables = pymysql.connect(**MARIADB, database=mysql_server.env["MYSQL"].rsplit("/", 1)[1])
    with tables.cursor() as cursor:
        cursor.execute("SHOW TABLES LIKE 'runs'")
        assert cursor.fetchone(), "the server must keep its metadata in MariaDB"
    log_and_read_back_a_rich_run(mysql_server, tmp_path / "client", "onmaria", "maria01")
    with tables.cursor() as cursor:
        cursor.execute("SELECT history_line_count FROM runs WHERE name = 'maria01'")
        assert cursor.fetchone() == (120,)
    tables.close()


def test_other_users_private_project_is_closed_to_the_client(server: Server, tmp_path: Path) -> None:
    server.create_user("mallory", "mallory@example.com")
    mallory_key = server.create_key("mallory")
    owner = Client(server=server, root=tmp_path / "alice")
    owner.script("log_run.py", {"init": {"project": "secret-proj", "id": "secret01"}, "steps": 3})

    mallory = Client(server=server, root=tmp_path / "mallory", api_key=mallory_key)
    intrude = {"init": {"project": "secret-proj", "entity": "alice", "id": "intruder"}, "steps": 1}
    out, result = mallory.script("log_run.py", intrude, check=False)
    assert result.returncode != 0 and out == {}, show(result, "init into alice's project")
    text = (result.stdout + result.stderr).lower()
    assert "not found" in text or "may not" in text, text

    listing = mallory.read_run({"run": "alice/secret-proj/secret01", "project": "alice/secret-proj",
                                "queries": [{"filters": {}, "order": "+created_at"}]})
    assert "error" in listing["load"], "mallory must not load alice's run"
    assert "error" in listing["project"], "mallory must not see alice's project"
    assert listing["queries"].get("value") in (None, [[]]), listing["queries"]
