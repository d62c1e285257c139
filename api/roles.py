"""Who may call which route: one rule per method and path, checked for every request.

A route missing from :data:`RULES` is open to admins only, and the route-table test fails
until it is given a rule: adding a route means deciding who may call it.

Roles are ordered (see :mod:`wasteopt.apikeys`): viewer reads; dispatcher also uploads
instances, plans and cancels its own jobs; planner also runs sitings and comparisons; admin
also cancels anyone's job, deletes anyone's instance and purges. ``public`` needs no key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PUBLIC = "public"


@dataclass(frozen=True)
class Rule:
    """The least role a route needs; ``owned``: only the object's creator (or an admin)."""

    role: str
    owned: Literal["jobs", "instances"] | None = None


def _job_rules(prefix: str, submitter: str, files: tuple[str, ...]) -> dict[tuple[str, str], Rule]:
    rules = {
        ("POST", prefix): Rule(submitter),
        ("GET", prefix): Rule("viewer"),
        ("GET", f"{prefix}/{{job_id}}"): Rule("viewer"),
        ("DELETE", f"{prefix}/{{job_id}}"): Rule(submitter, owned="jobs"),
        ("POST", f"{prefix}/{{job_id}}/resubmit"): Rule(submitter),
        ("GET", f"{prefix}/{{job_id}}/result"): Rule("viewer"),
    }
    rules.update({("GET", f"{prefix}/{{job_id}}/{path}"): Rule("viewer") for path in files})
    return rules


RULES: dict[tuple[str, str], Rule] = {
    # the desk's pages and the offline API docs: the page itself asks for a key
    ("GET", "/"): Rule(PUBLIC),
    ("GET", "/print"): Rule(PUBLIC),
    ("GET", "/docs"): Rule(PUBLIC),
    ("GET", "/redoc"): Rule(PUBLIC),
    ("GET", "/health"): Rule(PUBLIC),
    ("POST", "/v1/session"): Rule(PUBLIC),
    ("DELETE", "/v1/session"): Rule(PUBLIC),
    ("GET", "/v1/session"): Rule("viewer"),
    ("POST", "/v1/purge"): Rule("admin"),
    ("GET", "/v1/keys"): Rule("admin"),
    ("POST", "/v1/keys"): Rule("admin"),
    ("DELETE", "/v1/keys/{name}"): Rule("admin"),
    ("GET", "/v1/instances"): Rule("viewer"),
    ("POST", "/v1/instances"): Rule("dispatcher"),
    ("GET", "/v1/instances/{instance_id}"): Rule("viewer"),
    ("DELETE", "/v1/instances/{instance_id}"): Rule("dispatcher", owned="instances"),
    **_job_rules(
        "/v1/plans",
        "dispatcher",
        ("sheets", "sheets/{vehicle_id}", "geojson", "impact"),
    ),
    ("POST", "/v1/plans/{job_id}/stop"): Rule("dispatcher", owned="jobs"),
    ("POST", "/v1/plans/{job_id}/replan"): Rule("dispatcher"),
    ("GET", "/v1/plans/{job_id}/diff"): Rule("viewer"),
    ("GET", "/v1/plans/{job_id}/instance"): Rule("viewer"),
    ("GET", "/v1/plans/{job_id}/timeline"): Rule("viewer"),
    ("GET", "/v1/plans/{job_id}/workbook"): Rule("viewer"),
    ("GET", "/v1/plans/{job_id}/network"): Rule("viewer"),
    ("GET", "/v1/instances/{instance_id}/network"): Rule("viewer"),
    ("GET", "/v1/graphs"): Rule("viewer"),
    ("GET", "/v1/sweeps"): Rule("viewer"),
    ("GET", "/v1/sweeps/{sweep_id}"): Rule("viewer"),
    ("GET", "/v1/sweeps/{sweep_id}/figures/{name}"): Rule("viewer"),
    ("GET", "/v1/comparisons/{job_id}/scenarios/{index}"): Rule("viewer"),
    **_job_rules("/v1/sitings", "planner", ("assignment",)),
    **_job_rules("/v1/comparisons", "planner", ("csv",)),
}


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route (``HEAD`` follows ``GET``), or None when it declares none."""
    return RULES.get(("GET" if method == "HEAD" else method, path))
