"""Sweeps with the real client (issue 25): `wandb sweep`, two `wandb agent --count N`
processes, the server-side controller, state changes, and wandb.Api().sweep()."""

from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
import time
from typing import Any

import yaml

from .harness import CLIENTS_DIR, Client, graphql, show, wait_for

TRAIN = str(CLIENTS_DIR / "sweep_train.py")


def _sweep(client: Client, project: str, config: dict[str, Any]) -> str:
    """Create a sweep with `wandb sweep`; its path entity/project/id."""
    config = {"program": TRAIN, "command": ["${env}", client.python, "${program}", "${args}"],
              **config}
    path = client.workdir / f"sweep-{project}.yaml"
    path.write_text(yaml.safe_dump(config))
    result = _cli(client, "sweep", "--project", project, str(path))
    assert result.returncode == 0, show(result, "wandb sweep")
    found = re.search(r"wandb agent (\S+)", result.stdout + result.stderr)
    assert found, show(result, "wandb sweep (no agent command printed)")
    return found.group(1)


def _cli(client: Client, *args: str) -> subprocess.CompletedProcess[str]:
    """`wandb ARGS`, not silenced (the sweep command prints the sweep's path)."""
    return subprocess.run([client.python, "-m", "wandb", *args], cwd=client.workdir,
                          env={**client.env(), "WANDB_SILENT": "false"}, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def _agent(client: Client, sweep: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([client.python, "-m", "wandb", "agent", *extra, sweep],
                            cwd=client.workdir, env=client.env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True,
                            stdin=subprocess.DEVNULL)


def _wait(proc: subprocess.Popen[str], client: Client, timeout: float) -> str:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        raise AssertionError(f"agent still running after {timeout} s\n{out[-4000:]}\n"
                             f"----- server -----\n{client.server.logs()}") from None
    assert proc.returncode == 0, f"agent exit {proc.returncode}\n{out[-4000:]}"
    return out


def _read(client: Client, sweep: str) -> dict[str, Any]:
    return _read_all(client, sweep)[sweep]


def _run_states(client: Client, path: str) -> list[str]:
    """The states of the sweep's runs, asked of the server directly (fast, for polling)."""
    entity, project, name = path.split("/")
    data = graphql(client.server, "query S($e: String, $p: String, $s: String!) { project("
                   "name: $p, entityName: $e) { sweep(sweepName: $s) { runs { edges { node { "
                   "state } } } } } }", {"e": entity, "p": project, "s": name})
    return [e["node"]["state"] for e in data["project"]["sweep"]["runs"]["edges"]]


def _state(client: Client, path: str) -> str:
    entity, project, name = path.split("/")
    data = graphql(client.server, "query S($e: String, $p: String, $s: String!) { project("
                   "name: $p, entityName: $e) { sweep(sweepName: $s) { state } } }",
                   {"e": entity, "p": project, "s": name})
    return str(data["project"]["sweep"]["state"])


def _read_all(client: Client, *sweeps: str) -> dict[str, Any]:
    """The sweeps as wandb.Api().sweep() reads them (one client process for all)."""
    out, _ = client.script("sweep_api.py", {"sweeps": list(sweeps)})
    return out


def test_grid_two_agents_random_and_a_local_controller(client: Client) -> None:
    """At the same time: a grid over two agents (every combination exactly once), a random
    search (every value inside its distribution), and a sweep that wandb.controller() drives
    from the client (the server makes the runs it schedules and ends the sweep when it has
    nothing more to run); Api().sweep() reads state, runs and best run."""
    grid = _sweep(client, "sweep-grid", {
        "method": "grid", "name": "grid search",
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"x": {"values": [0.1, 0.3]}, "y": {"values": [0, 1]},
                       "steps": {"value": 2}}})
    rand = _sweep(client, "sweep-random", {
        "method": "random", "metric": {"name": "loss", "goal": "maximize"},
        "parameters": {"x": {"distribution": "uniform", "min": 0.5, "max": 0.75},
                       "y": {"distribution": "int_uniform", "min": 2, "max": 4},
                       "lr": {"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-2},
                       "opt": {"values": ["adam", "sgd"]}}})
    local = _sweep(client, "sweep-local", {
        "method": "grid", "controller": {"type": "local"},
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"x": {"values": [0.1, 0.2]}}})
    entity, project, name = local.split("/")
    started = time.monotonic()
    tuner, out = client.popen("sweep_local.py", {"entity": entity, "project": project,
                                                 "sweep": name, "timeout": 200})
    agents = [_agent(client, grid, "--count", "2"), _agent(client, grid, "--count", "2"),
              _agent(client, rand, "--count", "3"), _agent(client, local)]
    logs = [_wait(a, client, 240) for a in agents]
    assert tuner.wait(timeout=60) == 0, tuner.stderr.read() if tuner.stderr else ""
    elapsed = time.monotonic() - started

    # the grid is covered and its runs ended: the controller's next pass finishes it
    wait_for(lambda: _state(client, grid) == "FINISHED", timeout=30, interval=0.5,
             what="the covered grid sweep to finish")
    every = _read_all(client, grid, rand, local)
    found, randoms, driven = every[grid], every[rand], every[local]
    assert json.loads(out.read_text())["done"] and driven["state"] == "FINISHED"
    assert sorted(r["config"]["x"] for r in driven["runs"]) == [0.1, 0.2]
    points = sorted((r["config"]["x"], r["config"]["y"]) for r in found["runs"])
    assert points == sorted(itertools.product([0.1, 0.3], [0, 1])), (points, logs)
    assert all(r["state"] == "finished" and r["sweep"] == grid.split("/")[-1]
               for r in found["runs"]), found["runs"]
    assert found["name"] == "grid search" and found["expected"] == 4
    best = min(found["runs"], key=lambda r: r["loss"])
    assert found["best"] == best["id"] and math.isclose(best["loss"], 0.0, abs_tol=1e-9)
    assert found["state"] == "FINISHED"
    assert len(randoms["runs"]) == 3 and randoms["state"] == "RUNNING"
    for run in randoms["runs"]:
        c = run["config"]
        assert 0.5 <= c["x"] <= 0.75 and c["y"] in (2, 3, 4) and 1e-4 <= c["lr"] <= 1e-2
        assert c["opt"] in ("adam", "sgd")
    assert randoms["best"] == max(randoms["runs"], key=lambda r: r["loss"])["id"]
    print(f"\n4 agents and a local controller, 9 runs: {elapsed:.1f} s")


def test_pause_resume_stop_and_cancel_reach_the_agents(client: Client) -> None:
    """`wandb sweep --pause` holds new runs back, `--resume` lets them go, `--cancel` stops
    the running one and makes its agent exit; `--stop` makes an idle agent exit."""
    sweep = _sweep(client, "sweep-states", {
        "method": "random", "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"x": {"min": 0.0, "max": 1.0}, "steps": {"value": 400},
                       "sleep": {"value": 0.25}}})
    idle = _sweep(client, "sweep-stop", {"method": "grid",
                                         "parameters": {"x": {"values": [0.1]}}})
    for path in (sweep, idle):
        assert _cli(client, "sweep", "--pause", path).returncode == 0
    agent, idle_agent = _agent(client, sweep), _agent(client, idle)
    time.sleep(6)  # a heartbeat or more: nothing is scheduled while paused
    assert _run_states(client, sweep) == [] and agent.poll() is None
    assert idle_agent.poll() is None
    assert _cli(client, "sweep", "--stop", idle).returncode == 0
    assert _cli(client, "sweep", "--resume", sweep).returncode == 0
    wait_for(lambda: "running" in _run_states(client, sweep), timeout=60, interval=0.5,
             what="a run of the resumed sweep")
    result = _cli(client, "sweep", "--cancel", sweep)
    assert result.returncode == 0, show(result, "wandb sweep --cancel")
    _wait(agent, client, 60)  # the agent kills its run and exits
    _wait(idle_agent, client, 30)  # stopped: told to exit at its heartbeat
    both = _read_all(client, sweep, idle)
    assert both[sweep]["state"] == "CANCELED" and len(both[sweep]["runs"]) == 1
    assert both[idle]["state"] == "FINISHED" and both[idle]["runs"] == []
    refused = _cli(client, "sweep", "--resume", sweep)
    assert "cannot be set to running" in refused.stdout + refused.stderr, show(refused, "resume")

