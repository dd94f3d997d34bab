"""Who holds which role on one incident, and the rules for changing that.

The four roles of the source document: one Incident Commander (always exactly one once declared;
it is handed off, never removed), any number of Subject Matter Experts, and one Eng/Team Lead and
one TPM/PM/PO (assigning either to someone new hands it over). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from oncall.domain.people import Role
from oncall.domain.rules import RuleViolation

# Roles with one holder at a time: assigning someone new replaces the holder (the IC by hand-off).
SINGLE = frozenset({Role.IC, Role.LEAD, Role.PM})
ROLE_ORDER = (Role.IC, Role.SME, Role.LEAD, Role.PM)
ROLE_NAMES = {Role.IC: "Incident Commander", Role.SME: "Subject Matter Expert",
              Role.LEAD: "Eng/Team Lead", Role.PM: "TPM/PM/PO"}
SHORT_NAMES = {Role.IC: "IC", Role.SME: "SME", Role.LEAD: "Lead", Role.PM: "PM"}


@dataclass(frozen=True)
class RoleHolders:
    """Who holds each role on one incident now, in the order they were given it."""

    ic: str | None = None
    sme: tuple[str, ...] = ()
    lead: str | None = None
    pm: str | None = None

    def of(self, role: Role) -> list[str]:
        held = {Role.IC: self.ic, Role.LEAD: self.lead, Role.PM: self.pm}
        if role is Role.SME:
            return list(self.sme)
        person = held[role]
        return [person] if person else []

    def as_dict(self) -> dict[Role, list[str]]:
        return {role: self.of(role) for role in ROLE_ORDER}

    def roles_of(self, person: str) -> list[Role]:
        return [role for role in ROLE_ORDER if person in self.of(role)]

    @property
    def people(self) -> list[str]:
        """Everyone with a role, each once, in role order."""
        seen: dict[str, None] = {}
        for role in ROLE_ORDER:
            for person in self.of(role):
                seen.setdefault(person, None)
        return list(seen)


@dataclass(frozen=True)
class RoleChange:
    """What assigning `person` to `role` does: who it replaces, if anyone."""

    role: Role
    person: str
    replaces: str | None = None


class RoleRuleBroken(RuleViolation):
    """A role change that the rules refuse; nothing was changed."""


def plan_assignment(holders: RoleHolders, role: Role, person: str) -> RoleChange:
    if person in holders.of(role):
        raise RoleRuleBroken(f"{person} is already {ROLE_NAMES[role]}")
    replaces = holders.of(role)[0] if role in SINGLE and holders.of(role) else None
    return RoleChange(role, person, replaces)


def check_removal(holders: RoleHolders, role: Role, person: str) -> None:
    if role is Role.IC:
        raise RoleRuleBroken("an incident always has one Incident Commander: hand the role to someone else "
                             "instead (oncall assign ID --role ic --person HANDLE, or `a` in the console)")
    if person not in holders.of(role):
        held = ", ".join(holders.of(role)) or "nobody"
        raise RoleRuleBroken(f"{person} is not {ROLE_NAMES[role]} on this incident (it is held by {held})")


def parse_role(text: str) -> Role:
    """A role as a person types it: `ic`, `sme`, `lead`, `pm` (any case)."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise RoleRuleBroken(f"unknown role {text!r}; roles are {', '.join(r.value for r in ROLE_ORDER)}") from None
