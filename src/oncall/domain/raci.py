"""The RACI chart from the Data Trust Framework: who does, owns, advises on and hears about each
incident activity. The chart is data: `DEFAULT_CHART` is the document's chart, cell for cell, and a
workspace may override parts of it in oncall.toml:

    [raci]
    communicate_status = { ic = "R", sme = "C", lead = "A", pm = "R" }

Rules for an override (`parse_raci`), chosen here and relied on by callers:

* Activity keys are the `Activity` values (`declare`, `communicate_status`, `investigate`,
  `deploy_fix`, `post_mortem`, `action_items`); role keys are the `Role` values (`ic`, `sme`,
  `lead`, `pm`). Both are matched exactly (TOML keys are lowercase by convention).
* A named activity may give any subset of the four roles; a role it does not give keeps its
  default cell. Activities not named keep their default row.
* Letters are R, A, C or I, case-insensitive, surrounding spaces ignored (`"r"` means R).
* After merging, each activity needs at least one R and at most one A. The document's own chart
  has two Rs for "Communicate Status" and "Conduct Post-Mortem", and no A for "Communicate
  Status", so neither "exactly one R" nor "exactly one A" is required.
* Any problem in an activity's entry (unknown role, bad letter, no R, two As, not a table) is
  reported and that whole activity keeps its default row; the other activities still apply.
  `parse_raci` never raises: a missing table (None) is the default chart, a `raci` value that is
  not a table is one problem and the default chart.

Problems are `(key, message)` pairs, the key being the dotted TOML key (`raci.deploy_fix.ic`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum
from types import MappingProxyType

from oncall.domain.people import Role


class Activity(str, Enum):
    """Incident activities, in the document's order; the value is the oncall.toml key."""

    DECLARE = "declare"
    COMMUNICATE_STATUS = "communicate_status"
    INVESTIGATE = "investigate"
    DEPLOY_FIX = "deploy_fix"
    POST_MORTEM = "post_mortem"
    ACTION_ITEMS = "action_items"

    @property
    def title(self) -> str:  # type: ignore[override]
        return ACTIVITY_TITLES[self]


ACTIVITY_TITLES = {
    Activity.DECLARE: "Declare Incident",
    Activity.COMMUNICATE_STATUS: "Communicate Status",
    Activity.INVESTIGATE: "Investigate Root Cause",
    Activity.DEPLOY_FIX: "Deploy Fix",
    Activity.POST_MORTEM: "Conduct Post-Mortem",
    Activity.ACTION_ITEMS: "Track Action Items",
}


class Involvement(str, Enum):
    R = "R"
    A = "A"
    C = "C"
    I = "I"  # noqa: E741 - the chart's own letter

    @property
    def word(self) -> str:
        return {"R": "Responsible", "A": "Accountable", "C": "Consulted", "I": "Informed"}[self.value]

    @property
    def meaning(self) -> str:
        return {"R": "does the work", "A": "owns the outcome", "C": "provides input",
                "I": "kept up to date"}[self.value]

    @property
    def label(self) -> str:
        """`Responsible: does the work`."""
        return f"{self.word}: {self.meaning}"


class RaciChart(Mapping[Activity, Mapping[Role, Involvement]]):
    """An immutable, complete chart: every activity has a cell for every role.

    Construct it from a mapping activity -> role -> involvement (a ValueError if a cell is missing;
    that is a programming error, the toml path goes through `parse_raci`). It does not check the
    R/A rules itself; `validate` does."""

    __slots__ = ("_cells",)

    def __init__(self, cells: Mapping[Activity, Mapping[Role, Involvement]]) -> None:
        missing = [f"{a.value}.{r.value}" for a in Activity for r in Role if r not in cells.get(a, {})]
        if missing:
            raise ValueError(f"RACI chart is missing cells: {', '.join(missing)}")
        self._cells = MappingProxyType({
            activity: MappingProxyType({role: Involvement(cells[activity][role]) for role in Role})
            for activity in Activity
        })

    def __getitem__(self, activity: Activity) -> Mapping[Role, Involvement]:
        return self._cells[activity]

    def __iter__(self) -> Iterator[Activity]:
        return iter(self._cells)

    def __len__(self) -> int:
        return len(self._cells)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RaciChart):
            return NotImplemented
        return all(dict(self[a]) == dict(other[a]) for a in Activity)

    def __hash__(self) -> int:
        return hash(tuple((a, r, self[a][r]) for a in Activity for r in Role))

    def __repr__(self) -> str:
        cells = ", ".join(f"{a.value}=" + "".join(self[a][r].value for r in Role) for a in Activity)
        return f"RaciChart({cells})"

    def involvement(self, activity: Activity, role: Role) -> Involvement:
        return self._cells[activity][role]

    def roles_with(self, activity: Activity, involvement: Involvement) -> list[Role]:
        """The roles with `involvement` in `activity`, in role order."""
        return [role for role in Role if self._cells[activity][role] is involvement]

    def informed(self, activity: Activity) -> list[Role]:
        return self.roles_with(activity, Involvement.I)

    def replace(self, activity: Activity, cells: Mapping[Role, Involvement]) -> RaciChart:
        """A new chart with some of `activity`'s cells changed."""
        merged = {a: dict(self._cells[a]) for a in Activity}
        merged[activity].update(cells)
        return RaciChart(merged)

    def for_person(self, role_holders: Mapping[Role, list[str]], person_id: str) -> dict[Activity, list[Involvement]]:
        """What `person_id` is R/A/C/I for, given who holds which role on an incident.

        Someone holding several roles gets each distinct involvement once, in R, A, C, I order
        (an IC who is also the SME is R and A for declaring). Someone holding no role gets {}."""
        held = [role for role in Role if person_id in role_holders.get(role, [])]
        if not held:
            return {}
        return {
            activity: [inv for inv in Involvement if any(self._cells[activity][r] is inv for r in held)]
            for activity in Activity
        }

    def people_informed(self, activity: Activity, role_holders: Mapping[Role, list[str]]) -> list[str]:
        """The ids of everyone holding an Informed role for `activity`: in role order, then in the
        order they hold it, each once. Nobody is left out, not even a person who also holds an
        R/A/C role; a role nobody holds adds nobody; empty ids are skipped."""
        people: list[str] = []
        for role in self.informed(activity):
            for person_id in role_holders.get(role, []):
                if person_id and person_id not in people:
                    people.append(person_id)
        return people


def _row(letters: str) -> dict[Role, Involvement]:
    """`"RACI"` -> IC R, SME A, Lead C, PM I (the document's column order)."""
    return {role: Involvement(letter) for role, letter in zip(Role, letters, strict=True)}


# Columns: On-Call Engineer (IC), Data Engineer (SME), Eng/Team Lead, TPM/PM/PO.
DEFAULT_CHART = RaciChart({
    Activity.DECLARE: _row("RACI"),
    Activity.COMMUNICATE_STATUS: _row("RCIR"),
    Activity.INVESTIGATE: _row("CRAI"),
    Activity.DEPLOY_FIX: _row("CRAI"),
    Activity.POST_MORTEM: _row("CRAR"),
    Activity.ACTION_ITEMS: _row("ICAR"),
})

_KNOWN_ACTIVITIES = ", ".join(a.value for a in Activity)
_KNOWN_ROLES = ", ".join(r.value for r in Role)
_KNOWN_LETTERS = ", ".join(i.value for i in Involvement)


def _row_problems(activity: Activity, row: Mapping[Role, Involvement]) -> list[tuple[str, str]]:
    key = f"raci.{activity.value}"
    problems: list[tuple[str, str]] = []
    accountable = [r.value for r in Role if row[r] is Involvement.A]
    if len(accountable) > 1:
        problems.append((key, f"{activity.title} has {len(accountable)} Accountable roles "
                              f"({', '.join(accountable)}); at most one role may be A"))
    if not any(row[r] is Involvement.R for r in Role):
        problems.append((key, f"{activity.title} has no Responsible role; at least one role must be R"))
    return problems


def validate(chart: RaciChart) -> list[tuple[str, str]]:
    """The R/A rules: at most one A and at least one R per activity. [] means the chart is fine."""
    return [problem for activity in Activity for problem in _row_problems(activity, chart[activity])]


def parse_raci(raw: object) -> tuple[RaciChart, list[tuple[str, str]]]:
    """The chart to use given oncall.toml's `[raci]` value (None when absent), and its problems."""
    if raw is None:
        return DEFAULT_CHART, []
    if not isinstance(raw, Mapping):
        return DEFAULT_CHART, [("raci", f"raci must be a table of activities ({_KNOWN_ACTIVITIES}), "
                                        f"not {type(raw).__name__}")]
    chart = DEFAULT_CHART
    problems: list[tuple[str, str]] = []
    for activity_key, entry in raw.items():
        key = f"raci.{activity_key}"
        try:
            activity = Activity(activity_key)
        except ValueError:
            problems.append((key, f"unknown activity {activity_key!r}: use one of {_KNOWN_ACTIVITIES}"))
            continue
        if not isinstance(entry, Mapping):
            problems.append((key, f"{activity.title} must be a table of roles ({_KNOWN_ROLES}) to letters "
                                  f"({_KNOWN_LETTERS}), e.g. {{ ic = \"R\" }}; {activity.title} keeps the default"))
            continue
        cells: dict[Role, Involvement] = {}
        entry_problems: list[tuple[str, str]] = []
        for role_key, letter in entry.items():
            cell_key = f"{key}.{role_key}"
            try:
                role = Role(role_key)
            except ValueError:
                entry_problems.append((cell_key, f"unknown role {role_key!r}: use one of {_KNOWN_ROLES}"))
                continue
            cleaned = letter.strip().upper() if isinstance(letter, str) else None
            if cleaned not in {i.value for i in Involvement}:
                entry_problems.append((cell_key, f"{letter!r} is not a RACI letter: use one of {_KNOWN_LETTERS}"))
                continue
            cells[role] = Involvement(cleaned)
        if not entry_problems:
            merged = dict(chart[activity]) | cells
            entry_problems = _row_problems(activity, merged)
        if entry_problems:
            problems.extend((k, f"{m}; {activity.title} keeps the default") for k, m in entry_problems)
            continue
        chart = chart.replace(activity, cells)
    return chart, problems


def rows(chart: RaciChart) -> list[tuple[Activity, dict[Role, Involvement]]]:
    """The chart as display rows, in the document's order, each row's roles in role order."""
    return [(activity, {role: chart[activity][role] for role in Role}) for activity in Activity]
