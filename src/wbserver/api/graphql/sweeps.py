"""Sweeps: upsertSweep, createAgent, agentHeartbeat and the Sweep type (issue 25)."""

from __future__ import annotations

import json
from typing import Any

from wbserver.api.graphql.ids import decode_id, encode_id, page_start
from wbserver.api.graphql.resolve_info import GraphQLResolveInfo
from wbserver.api.graphql.schema import Resolver
from wbserver.domain.models import CRASHED, FAILED, RUNNING, Project, Run
from wbserver.domain.sweep_controller import agent_heartbeat
from wbserver.domain.sweep_models import Sweep, SweepAgent
from wbserver.domain.sweep_views import best_run, sweep_run_page
from wbserver.domain.sweeps import create_agent, project_sweep, upsert_sweep

MAX_PAGE = 1000


def upsert(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    given = input.get("id")
    sweep, warnings = upsert_sweep(
        ctx.store, viewer=ctx.viewer, entity=input.get("entityName"),
        project=input.get("projectName"),
        sweep_id=decode_id("Sweep", given) if given else None, config=input.get("config"),
        description=input.get("description"), display_name=input.get("displayName"),
        state=input.get("state"), controller=input.get("controller"),
        prior_runs=input.get("priorRunsFilters"))
    return {"sweep": sweep, "inserted": not given, "configValidationWarnings": warnings,
            "clientMutationId": input.get("clientMutationId")}


def agent_create(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    agent = create_agent(ctx.store, viewer=ctx.viewer, entity=input.get("entityName"),
                         project=input.get("projectName"), sweep_name=input["sweep"],
                         host=input["host"])
    return {"agent": agent, "clientMutationId": input.get("clientMutationId")}


def heartbeat(_root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:  # noqa: A002
    ctx = info.context
    agent_id = decode_id("Agent", input["id"])
    commands = agent_heartbeat(ctx.store, viewer=ctx.viewer, agent_id=agent_id,
                               run_state=input.get("runState"))
    return {"agent": ctx.store.get_sweep_agent(agent_id), "commands": json.dumps(commands),
            "clientMutationId": input.get("clientMutationId")}


def project_sweeps(project: Project, info: GraphQLResolveInfo, after: str | None = None,
                   first: int | None = None, **_ignored: Any) -> dict[str, Any]:
    found = info.context.store.list_sweeps(project.id)
    start = page_start(after)
    size = max(1, min(first or 50, MAX_PAGE))
    edges = [{"node": s, "cursor": str(start + i)}
             for i, s in enumerate(found[start:start + size])]
    return {"edges": edges, "totalCount": len(found),
            "pageInfo": {"startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None,
                         "hasNextPage": start + size < len(found), "hasPreviousPage": start > 0}}


def sweep_runs(sweep: Sweep, info: GraphQLResolveInfo, first: int | None = None,
               after: str | None = None, order: str | None = None) -> dict[str, Any]:
    start = page_start(after)
    runs, total = sweep_run_page(info.context.store, sweep, offset=start,
                                 limit=max(1, min(first or 10_000, 10_000)), order=order)
    edges = [{"node": r, "cursor": str(start + i)} for i, r in enumerate(runs)]
    return {"edges": edges, "totalCount": total,
            "pageInfo": {"startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None,
                         "hasNextPage": start + len(runs) < total, "hasPreviousPage": start > 0}}


def best_loss(sweep: Sweep, info: GraphQLResolveInfo) -> float | None:
    found = best_run(info.context.store, sweep)
    return found[1] if found else None


def _expected(sweep: Sweep, _info: GraphQLResolveInfo) -> int | None:
    from wbserver.domain.sweep_views import expected_run_count

    return expected_run_count(sweep)


def _agents(sweep: Sweep, info: GraphQLResolveInfo) -> dict[str, Any]:
    return {"edges": [{"node": a} for a in info.context.store.list_sweep_agents(sweep.id)]}


def _agent(sweep: Sweep, info: GraphQLResolveInfo, agentName: str) -> SweepAgent | None:  # noqa: N803
    for agent in info.context.store.list_sweep_agents(sweep.id):
        if agentName in (str(agent.id), encode_id("Agent", agent.id)):
            return agent
    return None


def _run_sweep(run: Run, info: GraphQLResolveInfo) -> Sweep | None:
    if not run.sweep_name:
        return None
    return info.context.store.get_sweep(run.project_id, run.sweep_name)


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Mutation": {"upsertSweep": upsert, "createAgent": agent_create,
                 "agentHeartbeat": heartbeat},
    "Project": {
        "sweep": lambda p, info, sweepName: project_sweep(info.context.store, p, sweepName),
        "sweeps": project_sweeps,
        "totalSweeps": lambda p, info: len(info.context.store.list_sweeps(p.id)),
    },
    "Run": {
        "sweep": _run_sweep,
        "shouldStop": lambda r, _i: r.stop_requested,
        "running": lambda r, _i: r.state == RUNNING,
        "failed": lambda r, _i: r.state in (FAILED, CRASHED),
    },
    "Sweep": {
        "id": lambda s, _i: encode_id("Sweep", s.id),
        "displayName": lambda s, _i: s.display_name,
        "createdAt": lambda s, _i: s.created_at,
        "updatedAt": lambda s, _i: s.updated_at,
        "heartbeatAt": lambda s, _i: s.updated_at,
        "earlyStopJobRunning": lambda _s, _i: False,
        "bestLoss": best_loss,
        "runCount": lambda s, info: info.context.store.count_sweep_runs(s.project_id, s.name),
        "runCountExpected": _expected,
        "project": lambda s, info: info.context.store.get_project_by_id(s.project_id),
        "runs": sweep_runs,
        "agents": _agents,
        "agent": _agent,
    },
    "Agent": {
        "id": lambda a, _i: encode_id("Agent", a.id),
        "name": lambda a, _i: str(a.id),
        "totalRuns": lambda a, _i: a.total_runs,
        "createdAt": lambda a, _i: a.created_at,
        "heartbeatAt": lambda a, _i: a.heartbeat_at,
    },
}
