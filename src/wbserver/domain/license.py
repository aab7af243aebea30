"""What a license grants: seats, teams, features, until an expiry. Rules only; the signature
is checked by licensing.py before a License reaches here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from wbserver.errors import Msg

FREE_SEATS = 4
FREE_TEAMS = 1
HOW_TO_LIFT = Msg("add a license: set LICENSE, paste it on /system-admin, or run "
                  "`wbserver license install`")


@dataclass(frozen=True)
class License:
    subject: str
    seats: int
    teams: int
    features: frozenset[str]
    expires_at: datetime
    issued_at: datetime | None = None


@dataclass(frozen=True)
class LicenseState:
    """The license in force (or why there is none), as pages and checks see it."""

    license: License | None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)

    def valid(self, now: datetime) -> bool:
        return self.license is not None and self.license.expires_at > now

    def seat_limit(self, now: datetime) -> int:
        return self.license.seats if self.license and self.valid(now) else FREE_SEATS

    def team_limit(self, now: datetime) -> int:
        return self.license.teams if self.license and self.valid(now) else FREE_TEAMS

    def has_feature(self, feature: str, now: datetime) -> bool:
        return bool(self.license and self.valid(now) and feature in self.license.features)

    def describe(self, now: datetime) -> Msg:
        if self.license is None:
            return (Msg("no license (%(problem)s)", problem=self.problem) if self.problem
                    else Msg("no license"))
        expires = f"{self.license.expires_at:%Y-%m-%d}"
        if not self.valid(now):
            return Msg("license for %(subject)s expired on %(date)s",
                       subject=self.license.subject, date=expires)
        return Msg("licensed to %(subject)s until %(date)s: %(seats)s seats, %(teams)s teams, "
                   "features %(features)s", subject=self.license.subject, date=expires,
                   seats=self.license.seats, teams=self.license.teams,
                   features=", ".join(sorted(self.license.features)) or Msg("none"))


def seat_limit_message(limit: int, licensed: bool) -> Msg:
    if licensed:
        return Msg("the license allows %(n)s active users; deactivate a user or get more seats",
                   n=limit)
    return Msg("without a license at most %(n)s active users are allowed; %(how)s", n=limit,
               how=HOW_TO_LIFT)
