"""Who the RACI chart keeps Informed of an activity on an incident, recorded on the activity's
timeline event (the sync mentions them). Shared by every service that records one."""

from __future__ import annotations

from typing import Any

from oncall.domain.incident import Incident
from oncall.domain.raci import Activity, RaciChart
from oncall.domain.roles import RoleHolders
from oncall.store.roles import RoleRepository


def informed_of(raci: RaciChart, roles: RoleRepository, incident: Incident, activity: Activity,
                holders: RoleHolders | None = None) -> dict[str, Any]:
    """`{"activity": …, "informed": [roster ids]}` for the event's data (no `informed` when
    nobody is). A drill tells nobody. `holders`: the roles as they are about to be, when the
    event changes them."""
    if incident.is_drill:
        return {}
    assert incident.id is not None
    holders = holders or roles.holders(incident.id)
    people = raci.people_informed(activity, holders.as_dict())
    return {"activity": activity.value, "informed": people} if people else {"activity": activity.value}
