"""CLI commands for users, API keys, teams and the license."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime

from wbserver.config.admin import save_changes
from wbserver.config.listening import DEFAULT_ADDRESS, listening_address
from wbserver.domain import accounts, teams
from wbserver.domain.clock import utcnow
from wbserver.domain.models import User
from wbserver.domain.users import create_api_key
from wbserver.errors import InvalidInput, NotFound, WbError
from wbserver.http.context import Services


def _password(args: argparse.Namespace) -> str | None:
    if not getattr(args, "password_stdin", False):
        return None
    from wbserver.passwords import hash_password

    password = sys.stdin.readline().rstrip("\n")
    accounts.check_password(password)
    return hash_password(password)


def users_create(svc: Services, args: argparse.Namespace) -> int:
    password_hash = _password(args)
    user = accounts.create_user(svc.store, username=args.name, email=args.email,
                                is_admin=args.admin, password_hash=password_hash,
                                license=svc.license(), now=utcnow())
    print(f"created user {user.username}{' (admin)' if user.is_admin else ''}", file=sys.stderr)
    if password_hash is None:  # no password yet: a single-use link to choose one
        token = accounts.make_reset_link(svc.store, by=None, username=user.username,
                                         hours=svc.settings.invite_hours, now=utcnow())
        print(f"{user.username} chooses a password at this single-use link (valid "
              f"{svc.settings.invite_hours} h):", file=sys.stderr)
        print(f"{_base(svc)}/reset/{token}")
    return 0


def users_list(svc: Services, _args: argparse.Namespace) -> int:
    for user in svc.store.list_users():
        flags = [f for f, on in (("admin", user.is_admin), ("deactivated", not user.is_active)) if on]
        print(f"{user.username}\t{user.email}\t{','.join(flags)}")
    return 0


NO_ADMIN_LEFT = ("no active site admin is left: nobody can open /system-admin, and /setup "
                 "does not open again; `wbserver users activate NAME` or `wbserver users "
                 "set-admin NAME` on the server makes one again")


def _forcible(change: Callable[[bool], User], force: bool) -> User:
    """Run a change that may remove the last admin: refused unless forced, then explained."""
    try:
        return change(False)
    except accounts.LastAdmin as exc:
        if not force:
            raise InvalidInput(f"{exc.message} (--force does it anyway)") from None
    user = change(True)
    print(f"warning: {NO_ADMIN_LEFT}", file=sys.stderr)
    return user


def users_deactivate(svc: Services, args: argparse.Namespace) -> int:
    _forcible(lambda force: accounts.set_active(svc.store, username=args.name, active=False,
                                                license=svc.license(), now=utcnow(),
                                                force=force), args.force)
    print(f"deactivated {args.name}: their keys and sessions stop working", file=sys.stderr)
    return 0


def users_activate(svc: Services, args: argparse.Namespace) -> int:
    accounts.set_active(svc.store, username=args.name, active=True, license=svc.license(),
                        now=utcnow())
    print(f"activated {args.name}", file=sys.stderr)
    return 0


def users_set_admin(svc: Services, args: argparse.Namespace) -> int:
    _forcible(lambda force: accounts.set_admin(svc.store, username=args.name,
                                               admin=not args.revoke, force=force), args.force)
    print(f"{args.name} is {'no longer' if args.revoke else 'now'} a site admin", file=sys.stderr)
    return 0


def users_reset_password(svc: Services, args: argparse.Namespace) -> int:
    if args.password_stdin:
        user = svc.store.get_user_by_name(args.name)
        if user is None:
            raise NotFound(f"user {args.name!r} not found")
        password_hash = _password(args)
        assert password_hash is not None
        svc.store.set_password_hash(user.id, password_hash)
        print(f"password of {args.name} changed; their browser sessions ended", file=sys.stderr)
        return 0
    token = accounts.make_reset_link(svc.store, by=None, username=args.name,
                                     hours=svc.settings.invite_hours, now=utcnow())
    print(f"{_base(svc)}/reset/{token}")
    return 0


def users_invite(svc: Services, args: argparse.Namespace) -> int:
    token, _invite = accounts.make_invite(svc.store, by=None, email=args.email,
                                          is_admin=args.admin, hours=svc.settings.invite_hours,
                                          license=svc.license(),
                                          now=utcnow())
    print(f"{_base(svc)}/invite/{token}")
    return 0


def _base(svc: Services) -> str:
    """HOST; else the address `wbserver serve` last listened on (it notes it in the data
    folder); else the default address, with a warning either way."""
    if svc.settings.host:
        return svc.settings.host.rstrip("/")
    noted = listening_address(svc.settings.data_dir)
    base = noted or DEFAULT_ADDRESS
    source = "the address `wbserver serve` listens on" if noted else "the default address"
    print(f"warning: HOST is empty, so this link uses {source}, {base}; set HOST to the URL "
          f"users reach the server at", file=sys.stderr)
    return base


def keys_create(svc: Services, args: argparse.Namespace) -> int:
    print(create_api_key(svc.store, username=args.name, name=args.key_name))
    return 0


def keys_list(svc: Services, args: argparse.Namespace) -> int:
    user = svc.store.get_user_by_name(args.name)
    if user is None:
        raise NotFound(f"user {args.name!r} not found")
    for key in svc.store.list_api_keys(user.id):
        print(f"{key.id}\t{key.key_prefix}…\t{key.name}\t{key.created_at:%Y-%m-%d %H:%M}")
    return 0


def keys_revoke(svc: Services, args: argparse.Namespace) -> int:
    user = svc.store.get_user_by_name(args.name)
    if user is None or not svc.store.revoke_api_key(user_id=user.id, key_id=args.key_id):
        raise NotFound(f"no active key {args.key_id} for user {args.name!r}")
    print(f"revoked key {args.key_id}", file=sys.stderr)
    return 0


def teams_create(svc: Services, args: argparse.Namespace) -> int:
    owner = svc.store.get_user_by_name(args.owner)
    if owner is None:
        raise NotFound(f"user {args.owner!r} not found")
    teams.create_team(svc.store, by=owner, name=args.name, license=svc.license(), now=utcnow())
    print(f"created team {args.name} with admin {args.owner}", file=sys.stderr)
    return 0


def teams_member(svc: Services, args: argparse.Namespace) -> int:
    admin = next((u for u in svc.store.list_users() if u.is_admin and u.is_active), None)
    if admin is None:
        raise WbError("no active site admin exists")
    role = None if args.role == "remove" else args.role
    teams.set_member(svc.store, by=admin, team=args.team, username=args.user, role=role)
    print(f"{args.user} in {args.team}: {args.role}", file=sys.stderr)
    return 0


def license_keygen(_svc: Services | None, _args: argparse.Namespace) -> int:
    from wbserver.licensing import keygen

    private, public = keygen()
    print(f"private key (keep secret; signs licenses): {private}")
    print(f"public key (WBSERVER_LICENSE_PUBLIC_KEYS): {public}")
    return 0


def license_issue(_svc: Services | None, args: argparse.Namespace) -> int:
    from wbserver.licensing import issue

    try:
        expires = datetime.strptime(args.expires, "%Y-%m-%d")
    except ValueError:
        raise InvalidInput("--expires takes a date like 2027-12-31") from None
    key = sys.stdin.readline().strip()
    if not key:
        raise InvalidInput("give the private key on standard input")
    features = [f for f in (args.features or "").split(",") if f]
    print(issue(key, subject=args.subject, seats=args.seats, teams=args.teams,
                features=features, expires_at=expires))
    return 0


def license_install(svc: Services, _args: argparse.Namespace) -> int:
    token = sys.stdin.readline().strip()
    if not token:
        raise InvalidInput("give the license token on standard input")
    save_changes(svc.store, svc.settings_source, changes={"license": token}, actor_id=None,
                 now=utcnow(), encrypt=svc.secrets.encrypt)  # verified there, as on the page
    print(svc.license().describe(utcnow()), file=sys.stderr)
    return 0


def license_show(svc: Services, _args: argparse.Namespace) -> int:
    state = svc.license()
    now = utcnow()
    print(state.describe(now))
    print(f"active users: {svc.store.count_active_users()} of {state.seat_limit(now)}")
    return 0


FORCE_HELP = ("also when this is the last active site admin (then nobody can manage the "
              "server until an admin is made again with this command line)")


def add_parsers(sub: argparse._SubParsersAction, data_dir: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    users = sub.add_parser("users", help="manage users").add_subparsers(dest="sub", required=True)
    p = users.add_parser("create", parents=[data_dir], help="create a user")
    p.add_argument("name")
    p.add_argument("--email", required=True)
    p.add_argument("--admin", action="store_true")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input")
    p.set_defaults(func=users_create)
    users.add_parser("list", parents=[data_dir], help="list users").set_defaults(func=users_list)
    for name, func, text in (("deactivate", users_deactivate, "stop a user (keeps their runs)"),
                             ("activate", users_activate, "re-activate a user")):
        p = users.add_parser(name, parents=[data_dir], help=text)
        p.add_argument("name")
        p.set_defaults(func=func, force=False)
        if name == "deactivate":
            p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p = users.add_parser("set-admin", parents=[data_dir], help="make a user site admin")
    p.add_argument("name")
    p.add_argument("--revoke", action="store_true", help="take site admin away instead")
    p.add_argument("--force", action="store_true", help=FORCE_HELP)
    p.set_defaults(func=users_set_admin)
    p = users.add_parser("reset-password", parents=[data_dir],
                         help="print a single-use reset link, or set it from standard input")
    p.add_argument("name")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=users_reset_password)
    p = users.add_parser("invite", parents=[data_dir], help="print a single-use invite link")
    p.add_argument("--email")
    p.add_argument("--admin", action="store_true")
    p.set_defaults(func=users_invite)

    keys = sub.add_parser("keys", help="manage API keys").add_subparsers(dest="sub", required=True)
    p = keys.add_parser("create", parents=[data_dir], help="create a key and print only it")
    p.add_argument("name", help="the user's name")
    p.add_argument("--key-name", default="cli", help="a label for the key")
    p.set_defaults(func=keys_create)
    p = keys.add_parser("list", parents=[data_dir], help="a user's keys (prefixes only)")
    p.add_argument("name")
    p.set_defaults(func=keys_list)
    p = keys.add_parser("revoke", parents=[data_dir], help="revoke a key by its id")
    p.add_argument("name")
    p.add_argument("key_id", type=int)
    p.set_defaults(func=keys_revoke)

    team = sub.add_parser("teams", help="manage teams").add_subparsers(dest="sub", required=True)
    p = team.add_parser("create", parents=[data_dir], help="create a team")
    p.add_argument("name")
    p.add_argument("--owner", required=True, help="the user who becomes its first admin")
    p.set_defaults(func=teams_create)
    p = team.add_parser("member", parents=[data_dir], help="add, change or remove a member")
    p.add_argument("team")
    p.add_argument("user")
    p.add_argument("role", choices=["admin", "member", "viewer", "remove"])
    p.set_defaults(func=teams_member)

    lic = sub.add_parser("license", help="licenses").add_subparsers(dest="sub", required=True)
    lic.add_parser("keygen", help="make a signing key pair").set_defaults(
        func=license_keygen, no_services=True)
    p = lic.add_parser("issue", help="sign a license (private key on standard input)")
    p.add_argument("--subject", required=True, help="who the license is for")
    p.add_argument("--seats", type=int, required=True)
    p.add_argument("--teams", type=int, default=10)
    p.add_argument("--expires", required=True, help="YYYY-MM-DD")
    p.add_argument("--features", default="", help="comma-separated, e.g. sso")
    p.set_defaults(func=license_issue, no_services=True)
    lic.add_parser("install", parents=[data_dir],
                   help="save a license (token on standard input)").set_defaults(func=license_install)
    lic.add_parser("show", parents=[data_dir], help="the license in force").set_defaults(
        func=license_show)
