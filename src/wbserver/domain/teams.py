"""Teams: entities with members in roles admin, member or viewer."""

from __future__ import annotations

from datetime import datetime

from wbserver.domain.license import HOW_TO_LIFT, LicenseState
from wbserver.domain.models import Entity, User
from wbserver.domain.names import check_name
from wbserver.domain.permissions import ROLES, entity_role
from wbserver.domain.users import USERNAME_RE
from wbserver.errors import InvalidInput, LimitExceeded, Msg, NotFound, PermissionDenied
from wbserver.ports import MetadataStore


def create_team(store: MetadataStore, *, by: User, name: str, license: LicenseState,
                now: datetime) -> Entity:
    if not USERNAME_RE.match(check_name("team", name)):
        raise InvalidInput(Msg("a team name is 1-64 letters, digits, '_', '.' or '-'"))
    limit = license.team_limit(now)
    if store.count_teams() >= limit:
        raise LimitExceeded(Msg("at most %(n)s team(s) without a license allowing more; %(how)s",
                                n=limit, how=HOW_TO_LIFT)
                            if not license.valid(now) else
                            Msg("the license allows %(n)s team(s)", n=limit))
    return store.create_team(name=name, creator_id=by.id)


def set_member(store: MetadataStore, *, by: User, team: str, username: str,
               role: str | None) -> None:
    """Add, change (role) or remove (None) a member; team admins and site admins only."""
    entity = store.get_entity(team)
    if entity is None or not entity.is_team:
        raise NotFound(Msg("team %(team)r not found", team=team))
    if entity_role(store, by, entity) != "admin":
        raise PermissionDenied(Msg("only admins of %(team)s change its members", team=team))
    if role is not None and role not in ROLES:
        raise InvalidInput(Msg("role must be one of %(roles)s", roles=", ".join(ROLES)))
    user = store.get_user_by_name(username)
    if user is None:
        raise NotFound(Msg("user %(name)r not found", name=username))
    store.set_team_member(entity_id=entity.id, user_id=user.id, role=role)
