"""The `wbserver` command: serve, db upgrade, users, keys, settings."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from wbserver.config import SETTINGS, Settings, load_settings
from wbserver.errors import WbError


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(overrides={"data_dir": getattr(args, "data_dir", None)})


def _store(args: argparse.Namespace) -> Any:
    from wbserver.app import open_store

    return open_store(_settings(args))


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from wbserver.app import create_app

    settings = _settings(args)
    app = create_app(settings)
    print(f"wbserver: data in {settings.data_dir}; listening on http://{args.host}:{args.port}",
          file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level,
                access_log=args.access_log, timeout_keep_alive=30)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    _store(args).close()
    print("database is at the newest schema", file=sys.stderr)
    return 0


def cmd_users_create(args: argparse.Namespace) -> int:
    from wbserver.domain.users import create_user
    from wbserver.passwords import hash_password

    password_hash = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if len(password) < 8:
            raise WbError("a password has at least 8 characters")
        password_hash = hash_password(password)
    store = _store(args)
    user = create_user(store, username=args.name, email=args.email, is_admin=args.admin,
                       password_hash=password_hash)
    print(f"created user {user.username}{' (admin)' if user.is_admin else ''}", file=sys.stderr)
    return 0


def cmd_users_list(args: argparse.Namespace) -> int:
    for user in _store(args).list_users():
        flags = ",".join(f for f, on in (("admin", user.is_admin), ("inactive", not user.is_active)) if on)
        print(f"{user.username}\t{user.email}\t{flags}")
    return 0


def cmd_keys_create(args: argparse.Namespace) -> int:
    from wbserver.domain.users import create_api_key

    print(create_api_key(_store(args), username=args.name, name=args.key_name))
    return 0


def cmd_settings_show(args: argparse.Namespace) -> int:
    settings = _settings(args)
    for setting in SETTINGS:
        value = getattr(settings, setting.name, None)
        shown = ("(set)" if value else "(not set)") if setting.secret else value
        print(f"{setting.env}\t{shown}\t{setting.help}")
    return 0


def cmd_settings_docs(_args: argparse.Namespace) -> int:
    from wbserver.config import settings_table

    print(settings_table())
    return 0


def parser() -> argparse.ArgumentParser:
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument("--data-dir", help="data folder (default $WBSERVER_DATA_DIR or ~/.wbserver)")
    root = argparse.ArgumentParser(prog="wbserver", description=__doc__)
    sub = root.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", parents=[data_dir], help="run the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--log-level", default="info")
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", parents=[data_dir], help="apply migrations").set_defaults(
        func=cmd_db_upgrade)

    users = sub.add_parser("users", help="manage users").add_subparsers(dest="users_command",
                                                                       required=True)
    create = users.add_parser("create", parents=[data_dir], help="create a user")
    create.add_argument("name")
    create.add_argument("--email", required=True)
    create.add_argument("--admin", action="store_true")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of standard input")
    create.set_defaults(func=cmd_users_create)
    users.add_parser("list", parents=[data_dir], help="list users").set_defaults(func=cmd_users_list)

    keys = sub.add_parser("keys", help="manage API keys").add_subparsers(dest="keys_command",
                                                                        required=True)
    key_create = keys.add_parser("create", parents=[data_dir],
                                 help="create an API key for a user and print it")
    key_create.add_argument("name", help="the user's name")
    key_create.add_argument("--key-name", default="cli", help="a label for the key")
    key_create.set_defaults(func=cmd_keys_create)

    settings = sub.add_parser("settings", help="settings").add_subparsers(dest="settings_command",
                                                                          required=True)
    settings.add_parser("show", parents=[data_dir], help="every setting and its value").set_defaults(
        func=cmd_settings_show)
    settings.add_parser("docs", help="the settings table of docs/operators.md").set_defaults(
        func=cmd_settings_docs)

    from wbserver import cli_artifacts

    cli_artifacts.add_parsers(sub, data_dir)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except WbError as exc:
        print(f"wbserver: {exc.message}", file=sys.stderr)
        return 1
