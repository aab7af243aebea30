"""What a license grants: seats, teams, features, until an expiry. Rules only; the signature
is checked by licensing.py before a License reaches here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FREE_SEATS = 4
FREE_TEAMS = 1
HOW_TO_LIFT = ("add a license: set LICENSE, paste it on /system-admin, or run "
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

    def describe(self, now: datetime) -> str:
        if self.license is None:
            return f"no license ({self.problem})" if self.problem else "no license"
        if not self.valid(now):
            return f"license for {self.license.subject} expired on {self.license.expires_at:%Y-%m-%d}"
        return (f"licensed to {self.license.subject} until {self.license.expires_at:%Y-%m-%d}: "
                f"{self.license.seats} seats, {self.license.teams} teams, features "
                f"{', '.join(sorted(self.license.features)) or 'none'}")


def seat_limit_message(limit: int, licensed: bool) -> str:
    if licensed:
        return f"the license allows {limit} active users; deactivate a user or get more seats"
    return (f"without a license at most {limit} active users are allowed; {HOW_TO_LIFT}")
