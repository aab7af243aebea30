"""The lineage graph around a run or an artifact version: the runs that logged and used
versions and the versions that runs logged and used, a few hops upstream and downstream.

A bounded breadth-first walk, one layer at a time, each layer read in batched queries. Nodes
in projects the viewer cannot read are left out entirely (not even their names), and the walk
does not pass through them. When the hop or node limit stops the walk, the node where it
stopped says how many more neighbours it has (`more`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from wbserver.domain.artifact_browse import readable_version
from wbserver.domain.artifact_models import LineageNode
from wbserver.domain.models import User
from wbserver.domain.permissions import READ, project_access
from wbserver.domain.run_details import readable_run
from wbserver.errors import InvalidInput
from wbserver.ports import MetadataStore

DEFAULT_HOPS, MAX_HOPS = 3, 6
DEFAULT_NODES, MAX_NODES = 40, 200
EDGES_PER_LAYER = 2000  # a bound on the rows one layer reads (per IN chunk and side)

Key = tuple[str, int]  # ("run" | "artifact", id)


def parse_limit(text: str | None, *, name: str, default: int, most: int) -> int:
    """`hops` or `nodes` from the query string: absent, or 1..most."""
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= most:
        raise InvalidInput(f"{name} must be a whole number from 1 to {most}")
    return int(text)


@dataclass
class _Walk:
    store: MetadataStore
    viewer: User | None
    cap: int
    nodes: dict[Key, LineageNode] = field(default_factory=dict)
    layer: dict[Key, int] = field(default_factory=dict)
    edges: set[tuple[Key, Key]] = field(default_factory=set)  # (from, to) as data flows
    more: dict[Key, int] = field(default_factory=dict)
    readable: dict[int, bool] = field(default_factory=dict)  # project id -> may read
    pending: dict[Key, LineageNode] = field(default_factory=dict)  # the last layer's labels

    def visible(self, found: list[LineageNode]) -> dict[Key, LineageNode]:
        for node in found:
            if node.project_id not in self.readable:
                project = self.store.get_project_by_id(node.project_id)
                self.readable[node.project_id] = project is not None and project_access(
                    self.store, self.viewer, project) >= READ
        return {(n.kind, n.id): n for n in found if self.readable[n.project_id]}

    def neighbours(self, frontier: list[Key], upstream: bool) -> dict[Key, list[Key]]:
        """Each frontier node's visible neighbours one hop up or downstream, in order."""
        runs = [i for kind, i in frontier if kind == "run"]
        arts = [i for kind, i in frontier if kind == "artifact"]
        found = self.store.lineage_edges(run_ids=runs, artifact_ids=arts, upstream=upstream,
                                         limit=EDGES_PER_LAYER)
        wanted = set(frontier)
        pairs: list[tuple[Key, Key]] = []
        for edge in found:
            run, art = ("run", edge.run_id), ("artifact", edge.artifact_id)
            pairs += [(run, art)] if run in wanted else []
            pairs += [(art, run)] if art in wanted else []
        fresh = {b for _a, b in pairs if b not in self.nodes}
        labels = self.visible(self.store.lineage_nodes(
            run_ids=[i for kind, i in fresh if kind == "run"],
            artifact_ids=[i for kind, i in fresh if kind == "artifact"]))
        out: dict[Key, list[Key]] = {key: [] for key in frontier}
        for a, b in pairs:
            if (b in self.nodes or b in labels) and b not in out[a]:
                out[a].append(b)
        self.pending = labels
        return out

    def walk(self, start: Key, hops: int, upstream: bool) -> None:
        frontier = [start]
        for depth in range(1, hops + 2):  # one layer past the last: who has more
            if not frontier:
                return
            found = self.neighbours(frontier, upstream)
            step: list[Key] = []
            for key in frontier:
                for other in found[key]:
                    if other not in self.nodes and (depth > hops or len(self.nodes) >= self.cap):
                        self.more[key] = self.more.get(key, 0) + 1
                        continue
                    self.edges.add((other, key) if upstream else (key, other))
                    if other not in self.nodes:
                        self.nodes[other] = self.pending[other]
                        self.layer[other] = -depth if upstream else depth
                        step.append(other)
            frontier = step


def _url(node: LineageNode) -> str:
    base = f"/{quote(node.entity_name, safe='')}/{quote(node.project_name, safe='')}"
    if node.kind == "run":
        return f"{base}/runs/{quote(node.name, safe='')}"
    version = node.label.rsplit(":", 1)[1]
    return f"{base}/artifacts/{quote(node.detail, safe='')}/{quote(node.name, safe='')}/{version}"


def lineage_graph(store: MetadataStore, *, viewer: User | None, kind: str, node_id: int,
                  hops: int = DEFAULT_HOPS, cap: int = DEFAULT_NODES) -> dict[str, Any]:
    """The graph around one node the caller has checked the viewer may read: nodes (with
    their layer, negative upstream, and links), edges as data flows (run → version it
    logged, version → run that used it), and whether a limit cut the walk."""
    start: Key = (kind, node_id)
    walk = _Walk(store=store, viewer=viewer, cap=cap)
    found = walk.visible(store.lineage_nodes(
        run_ids=[node_id] if kind == "run" else [],
        artifact_ids=[node_id] if kind == "artifact" else []))
    if start not in found:
        return {"nodes": [], "edges": [], "truncated": False}
    walk.nodes[start], walk.layer[start] = found[start], 0
    walk.walk(start, hops, upstream=True)
    walk.walk(start, hops, upstream=False)
    ids = {key: f"{key[0][0]}{i}" for i, key in enumerate(walk.nodes)}
    nodes = [{"id": ids[key], "kind": node.kind, "label": node.label, "detail": node.detail,
              "project": f"{node.entity_name}/{node.project_name}", "url": _url(node),
              "layer": walk.layer[key], "start": key == start, "more": walk.more.get(key, 0)}
             for key, node in walk.nodes.items()]
    edges = sorted([ids[a], ids[b]] for a, b in walk.edges)
    return {"nodes": nodes, "edges": edges, "truncated": bool(walk.more)}


def run_lineage(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                name: str, hops: int, cap: int) -> dict[str, Any]:
    _found, run = readable_run(store, viewer=viewer, entity=entity, project=project, name=name)
    return lineage_graph(store, viewer=viewer, kind="run", node_id=run.id, hops=hops, cap=cap)


def version_lineage(store: MetadataStore, *, viewer: User | None, entity: str, project: str,
                    type_name: str, name: str, version: str, hops: int,
                    cap: int) -> dict[str, Any]:
    """A version by `vN`, `latest` or an alias (a portfolio's too: the linked version)."""
    _found, artifact, _link = readable_version(
        store, viewer=viewer, entity=entity, project=project, type_name=type_name, name=name,
        version=version)
    return lineage_graph(store, viewer=viewer, kind="artifact", node_id=artifact.id,
                         hops=hops, cap=cap)
