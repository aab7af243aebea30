"""ports.ProjectTransfer: one project's rows out of a database (`wbserver export`) and into
another (`wbserver import`), with new ids there. One gzipped JSON-lines file per table; users
travel by username (a user missing on the target leaves the column empty, and their saved
workspace layout of the project stays behind)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from wbserver.domain.artifact_storage import LAYOUTS, content_key, manifest_key
from wbserver.errors import AlreadyExists, NotFound
from wbserver.metadata import tables as t
from wbserver.metadata.backup_mysql import decode_value, encode_value
from wbserver.metadata.inserted import inserted_id
from wbserver.metadata.project_key_rows import rebuild_project_keys
from wbserver.metadata.storage_rows import layout_in
from wbserver.ports import BackupProgress

RUN_TABLES = (t.history_chunks, t.history_segments, t.history_rollups, t.run_values,
              t.log_lines, t.run_files, t.alerts)
ROWS = "rows"


class ProjectTransferRows:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # export -----------------------------------------------------------------------------

    def export_rows(self, entity: str, project: str, folder: Any,
                    progress: BackupProgress) -> list[str]:
        """Write the project's rows under FOLDER/rows; return the storage keys they name."""
        out = Path(folder) / ROWS
        out.mkdir(parents=True, exist_ok=True)
        with self.engine.connect() as conn, conn.begin():
            p = conn.execute(select(t.projects).join(
                t.entities, t.entities.c.id == t.projects.c.entity_id).where(
                t.entities.c.name == entity, t.projects.c.name == project)).first()
            if p is None:
                raise NotFound(f"there is no project {entity}/{project}")
            runs = select(t.runs.c.id).where(t.runs.c.project_id == p.id)
            seqs = select(t.artifact_sequences.c.id).where(
                t.artifact_sequences.c.project_id == p.id)
            arts = select(t.artifacts.c.id).where(t.artifacts.c.sequence_id.in_(seqs))
            md5s = select(t.artifact_files.c.md5).where(t.artifact_files.c.artifact_id.in_(arts))
            # links of the project's portfolios to the project's own versions (a link to a
            # version of another project cannot travel without it)
            links = select(t.artifact_links.c.id).where(
                t.artifact_links.c.portfolio_id.in_(seqs), t.artifact_links.c.artifact_id.in_(arts))
            queries: list[tuple[Table, Any]] = [
                (t.projects, t.projects.c.id == p.id),
                (t.runs, t.runs.c.project_id == p.id),
                *[(table, table.c.run_id.in_(runs)) for table in RUN_TABLES],
                (t.artifact_types, t.artifact_types.c.project_id == p.id),
                (t.artifact_sequences, t.artifact_sequences.c.project_id == p.id),
                (t.artifacts, t.artifacts.c.sequence_id.in_(seqs)),
                (t.artifact_aliases, t.artifact_aliases.c.sequence_id.in_(seqs)),
                (t.artifact_files, t.artifact_files.c.artifact_id.in_(arts)),
                (t.artifact_usages, t.artifact_usages.c.artifact_id.in_(arts)
                 & t.artifact_usages.c.run_id.in_(runs)),
                (t.artifact_outputs, t.artifact_outputs.c.artifact_id.in_(arts)
                 & t.artifact_outputs.c.run_id.in_(runs)),
                (t.artifact_blobs, t.artifact_blobs.c.md5.in_(md5s)),
                (t.artifact_links, t.artifact_links.c.id.in_(links)),
                (t.artifact_link_aliases, t.artifact_link_aliases.c.link_id.in_(links)),
                (t.workspace_layouts, t.workspace_layouts.c.project_id == p.id),
                (t.sweeps, t.sweeps.c.project_id == p.id),
                (t.sweep_agents, t.sweep_agents.c.sweep_id.in_(
                    select(t.sweeps.c.id).where(t.sweeps.c.project_id == p.id))),
            ]
            progress.phase("rows", total=len(queries), unit="table")
            for table, where in queries:
                _write_table(conn, out, table, where)
                progress.advance()
            users = dict(conn.execute(select(t.users.c.id, t.users.c.username)).all())
            (out / "users.json").write_text(json.dumps({str(k): v for k, v in users.items()}))
            keys = [f"runs/{r.run_id}/{r.name}" for r in conn.execute(
                select(t.run_files.c.run_id, t.run_files.c.name).where(
                    t.run_files.c.run_id.in_(runs), t.run_files.c.size_bytes.is_not(None)))]
            layout = layout_in(conn)
            keys += [content_key(m, layout) for m in conn.execute(
                select(t.artifact_blobs.c.md5).where(t.artifact_blobs.c.md5.in_(md5s),
                                                     t.artifact_blobs.c.store.is_not(None))
            ).scalars()]
            keys += [manifest_key(a) for a in conn.execute(
                select(t.artifacts.c.id).where(t.artifacts.c.sequence_id.in_(seqs),
                                               t.artifacts.c.manifest_store.is_not(None))
            ).scalars()]
        return keys

    # import -----------------------------------------------------------------------------

    def import_rows(self, folder: Any, entity: str, store: str,
                    progress: BackupProgress) -> dict[str, str]:
        """Insert the exported rows under ENTITY with new ids, files recorded in STORE;
        return the new storage key of every old one."""
        rows = Path(folder) / ROWS
        names = {int(k): v for k, v in json.loads((rows / "users.json").read_text()).items()}
        write = self.engine.connect().execution_options(wb_write=True)
        with write as conn, conn.begin():
            layout = layout_in(conn)  # read before this import adds any artifact
            target = conn.execute(select(t.entities.c.id).where(
                t.entities.c.name == entity)).scalar()
            if target is None:
                raise NotFound(f"there is no entity {entity} here: create the user or team first")
            by_name = dict(conn.execute(select(t.users.c.username, t.users.c.id)).all())
            user = {old: by_name.get(name) for old, name in names.items()}
            ids: dict[str, dict[Any, Any]] = {}
            progress.phase("rows", total=None, unit="table")
            (project,) = list(_read_table(rows, t.projects))
            if conn.execute(select(t.projects.c.id).where(
                    t.projects.c.entity_id == target,
                    t.projects.c.name == project["name"])).first():
                raise AlreadyExists(f"{entity}/{project['name']} already exists here")
            ids["projects"] = {project["id"]: _insert(conn, t.projects, project, {
                "entity_id": target, "created_by": user.get(project["created_by"])})}
            pid = ids["projects"][project["id"]]
            ids["runs"] = {r["id"]: _insert(conn, t.runs, r, {
                "project_id": pid, "user_id": user.get(r["user_id"])})
                for r in _read_table(rows, t.runs)}
            for table in RUN_TABLES:
                _copy_rows(conn, rows, table, lambda r: {
                    "run_id": ids["runs"][r["run_id"]],
                    **({"project_id": pid} if "project_id" in r else {}),
                    **({"store": store} if r.get("store") else {})})
                progress.advance()
            rebuild_project_keys(conn, pid)  # derived from the runs: never exported
            ids["types"] = {r["id"]: _insert(conn, t.artifact_types, r, {"project_id": pid})
                            for r in _read_table(rows, t.artifact_types)}
            ids["seqs"] = {r["id"]: _insert(conn, t.artifact_sequences, r, {
                "project_id": pid, "type_id": ids["types"][r["type_id"]]})
                for r in _read_table(rows, t.artifact_sequences)}
            taken = set(conn.execute(select(t.artifacts.c.client_id).where(
                t.artifacts.c.client_id.is_not(None))).scalars())
            ids["arts"] = {}
            for r in _read_table(rows, t.artifacts):  # in id order: a base comes first
                ids["arts"][r["id"]] = _insert(conn, t.artifacts, r, {
                    "sequence_id": ids["seqs"][r["sequence_id"]],
                    "created_by_run_id": ids["runs"].get(r["created_by_run_id"]),
                    "created_by_user_id": user.get(r["created_by_user_id"]),
                    "client_id": None if r["client_id"] in taken else r["client_id"],
                    "manifest_store": store if r["manifest_store"] else None,
                    "base_artifact_id": ids["arts"].get(r.get("base_artifact_id"))})
            _copy_rows(conn, rows, t.artifact_aliases, lambda r: {
                "sequence_id": ids["seqs"][r["sequence_id"]],
                "artifact_id": ids["arts"][r["artifact_id"]]})
            _copy_rows(conn, rows, t.artifact_files, lambda r: {
                "artifact_id": ids["arts"][r["artifact_id"]]})
            for linked in (t.artifact_usages, t.artifact_outputs):
                if linked is t.artifact_usages or (rows / f"{linked.name}.jsonl.gz").exists():
                    _copy_rows(conn, rows, linked, lambda r: {
                        "artifact_id": ids["arts"][r["artifact_id"]],
                        "run_id": ids["runs"][r["run_id"]]})
            if (rows / f"{t.artifact_links.name}.jsonl.gz").exists():  # exports since 0016
                ids["links"] = {r["id"]: _insert(conn, t.artifact_links, r, {
                    "portfolio_id": ids["seqs"][r["portfolio_id"]],
                    "artifact_id": ids["arts"][r["artifact_id"]]})
                    for r in _read_table(rows, t.artifact_links)}
                _copy_rows(conn, rows, t.artifact_link_aliases, lambda r: {
                    "portfolio_id": ids["seqs"][r["portfolio_id"]],
                    "link_id": ids["links"][r["link_id"]]})
            if (rows / f"{t.workspace_layouts.name}.jsonl.gz").exists():  # exports since 0019
                # each reader's saved workspace, for the readers this server has (by username)
                layouts = [{**r, "project_id": pid, "user_id": user.get(r["user_id"])}
                           for r in _read_table(rows, t.workspace_layouts)]
                if any(r["user_id"] is not None for r in layouts):
                    conn.execute(t.workspace_layouts.insert(),
                                 [r for r in layouts if r["user_id"] is not None])
            if (rows / f"{t.sweeps.name}.jsonl.gz").exists():  # exports since 0020
                # runs name their sweep (runs.sweep_name), so the sweeps keep their names
                ids["sweeps"] = {r["id"]: _insert(conn, t.sweeps, r, {
                    "project_id": pid, "created_by": user.get(r["created_by"])})
                    for r in _read_table(rows, t.sweeps)}
                _copy_rows(conn, rows, t.sweep_agents, lambda r: {
                    "sweep_id": ids["sweeps"][r["sweep_id"]], "user_id": user.get(r["user_id"])})
            present = set(conn.execute(select(t.artifact_blobs.c.md5)).scalars())
            exported = list(_read_table(rows, t.artifact_blobs))
            blobs = [{**r, "store": store if r["store"] else None}
                     for r in exported if r["md5"] not in present]
            if blobs:
                conn.execute(t.artifact_blobs.insert(), blobs)
        keys = {f"runs/{old}/": f"runs/{new}/" for old, new in ids["runs"].items()}
        # content lands under this install's layout, whichever the exporting install had
        keys.update({content_key(r["md5"], theirs): content_key(r["md5"], layout)
                     for r in exported for theirs in LAYOUTS})
        keys.update({manifest_key(old): manifest_key(new) for old, new in ids["arts"].items()})
        return keys


def _write_table(conn: Connection, out: Path, table: Table, where: Any) -> None:
    # in key order: the import gives new ids in the same order (listings follow the ids)
    result = conn.execution_options(yield_per=1000).execute(
        select(table).where(where).order_by(*table.primary_key.columns))
    with gzip.open(out / f"{table.name}.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"table": table.name, "columns": list(result.keys())}) + "\n")
        for row in result:
            handle.write(json.dumps([encode_value(v) for v in row]) + "\n")


def _read_table(folder: Path, table: Table) -> Iterator[dict[str, Any]]:
    known = {c.key for c in table.c if c.computed is None}  # computed: the database's own
    with gzip.open(folder / f"{table.name}.jsonl.gz", "rt", encoding="utf-8") as lines:
        columns = json.loads(next(lines))["columns"]
        for line in lines:
            yield {k: decode_value(v) for k, v in zip(columns, json.loads(line)) if k in known}


def _insert(conn: Connection, table: Table, row: dict[str, Any], changes: dict[str, Any]) -> int:
    values = {k: v for k, v in {**row, **changes}.items() if k != "id"}
    return inserted_id(conn.execute(table.insert().values(**values)))


def _copy_rows(conn: Connection, folder: Path, table: Table, changes: Any) -> None:
    batch: list[dict[str, Any]] = []
    for row in _read_table(folder, table):
        batch.append({k: v for k, v in {**row, **changes(row)}.items() if k != "id"})
        if len(batch) >= 500:
            conn.execute(table.insert(), batch)
            batch = []
    if batch:
        conn.execute(table.insert(), batch)
