"""wbserver beside the MLflow tracking server, on this machine, in one run (issue 10).

Starts wbserver (SQLite; with --mysql also MariaDB) and `mlflow server` (SQLite, 1 worker) on
loopback, feeds both the same data (the real `wandb` client for wbserver,
`MlflowClient.log_batch` for MLflow) and prints one table: each figure for both, their
ratio and the target. Installs nothing: MLflow runs from the Python given by
--mlflow-python (a separate venv, see docs/performance.md). Figures, not pass/fail.

    .venv/bin/python bench/compare.py --mlflow-python /tmp/mlflow-venv/bin/python
    .venv/bin/python bench/compare.py --quick --no-mlflow          # the CI smoke run
    .venv/bin/python bench/compare.py --mlflow-python ... --mysql mysql://root:@127.0.0.1:3306
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_wb as wb  # noqa: E402
from compare_servers import (  # noqa: E402
    PeakRss,
    cpu_seconds,
    drop_mysql,
    rss,
    start_mlflow,
    start_wbserver,
)

HERE = Path(__file__).resolve().parent
MB = 2**20


def sizes(quick: bool) -> dict[str, int]:
    if quick:
        return {"runs": 8, "steps": 1000, "metrics": 10, "history": 10_000,
                "big": 200_000, "per_request": 5_000, "table": 1_000, "mlflow_table": 200,
                "repeat": 5}
    return {"runs": 8, "steps": 5000, "metrics": 10, "history": 10_000,
            "big": 1_000_000, "per_request": 5_000, "table": 10_000, "mlflow_table": 1_000,
            "repeat": 7}


def measure_wbserver(work: Path, size: dict[str, int], mysql: str | None) -> dict[str, Any]:
    srv = start_wbserver(work, mysql)
    label = "MariaDB" if mysql else "SQLite"
    try:
        time.sleep(2)
        out: dict[str, Any] = {"idle_rss": rss(srv.proc.pid)}
        print(f"[wbserver/{label}] ingest: {size['runs']} clients x {size['steps']} steps x "
              f"{size['metrics']} metrics", flush=True)
        out["ingest"] = wb.ingest(srv, work, runs=size["runs"], steps=size["steps"],
                                  metrics=size["metrics"])
        print(f"[wbserver/{label}] history of {size['history']:,} points", flush=True)
        out["history"] = wb.history(srv, work, points=size["history"], repeat=size["repeat"])
        print(f"[wbserver/{label}] a {size['big']:,}-point metric", flush=True)
        out["big"] = wb.big_metric(srv, points=size["big"], per_request=size["per_request"],
                                   repeat=size["repeat"])
        print(f"[wbserver/{label}] runs table of {size['table']:,} runs", flush=True)
        out["table"] = wb.runs_table(srv, runs=size["table"], repeat=size["repeat"])
        return out
    finally:
        srv.stop()
        if mysql:
            drop_mysql(mysql, srv.mysql_db)


def measure_mlflow(work: Path, size: dict[str, int], python: str) -> dict[str, Any]:
    url, proc = start_mlflow(work, python)
    driver = [python, str(HERE / "compare_mlflow.py")]

    def drive(*args: Any) -> dict[str, Any]:
        done = subprocess.run([*driver, *map(str, args)], check=True, capture_output=True,
                              text=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    try:
        time.sleep(2)
        out: dict[str, Any] = {"idle_rss": rss(proc.pid)}
        print(f"[mlflow] ingest: {size['runs']} clients", flush=True)
        drive("history", url, 10, 1)  # warm up: experiment tables, imports
        with PeakRss(proc.pid) as peak:
            cpu0 = cpu_seconds(proc.pid)
            t0 = time.time()
            clients = [subprocess.Popen([*driver, "ingest", url, f"ingest{i}",
                                         str(size["steps"]), str(size["metrics"])],
                                        stdout=subprocess.PIPE, text=True)
                       for i in range(size["runs"])]
            for client in clients:
                client.communicate()
                assert client.returncode == 0
            wall = time.time() - t0
            cpu = cpu_seconds(proc.pid) - cpu0
        points = size["runs"] * size["steps"] * size["metrics"]
        out["ingest"] = {"points": points, "cpu": cpu, "wall": wall,
                         "points_per_cpu": points / max(cpu, 1e-9), "lag": 0.0,
                         "client_rate": points / wall, "peak_rss": peak.peak}
        print(f"[mlflow] history of {size['history']:,} points", flush=True)
        got = drive("history", url, size["history"], size["repeat"])
        out["history"] = (got["ms"], got["spread"])
        print(f"[mlflow] search_runs over {size['mlflow_table']:,} runs", flush=True)
        out["table"] = drive("table", url, size["mlflow_table"], size["repeat"])
        return out
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}{unit}"
    return f"{value:,.1f}{unit}" if abs(value) >= 10 else f"{value:,.2f}{unit}"


def _ratio(ours: float | None, theirs: float | None, higher_better: bool) -> str:
    if ours is None or theirs is None or not ours or not theirs:
        return "—"
    return f"{(ours / theirs if higher_better else theirs / ours):,.1f}x"


def table(size: dict[str, int], results: dict[str, dict[str, Any]]) -> str:
    ml = results.get("mlflow")
    wbs = [(name, r) for name, r in results.items() if name != "mlflow"]
    rows: list[tuple[str, Any, bool, str, str]] = [
        # label, getter, higher is better, unit, target
        ("ingest: metric points per server CPU-second", lambda r: r["ingest"]["points_per_cpu"],
         True, "", ">= 100x MLflow"),
        (f"ingest: {size['runs']} concurrent clients, points/s (wall)",
         lambda r: r["ingest"]["points"] / r["ingest"]["wall"], True, "", "keeps up"),
        ("ingest: lag after the clients' last log (s)", lambda r: r["ingest"]["lag"], False,
         " s", "bounded"),
        (f"full history of one {size['history']:,}-point metric (ms)",
         lambda r: r["history"][0], False, " ms", ">= 50x faster"),
        (f"1,000-bucket read of a {size['big']:,}-point metric (ms)",
         lambda r: r.get("big", {}).get("ms"), False, " ms", "< 50 ms"),
        (f"runs table: wb first page of {size['table']:,} runs (GraphQL Runs) vs MLflow "
         f"search_runs over {size['mlflow_table']:,} (ms)",
         lambda r: r["table"]["gql"][0] if "gql" in r["table"] else r["table"]["all"], False,
         " ms", ">= 20x faster"),
        ("  same, MLflow search_runs max_results=50 (ms)",
         lambda r: r["table"]["gql"][0] if "gql" in r["table"] else r["table"]["page"], False,
         " ms", "(stricter)"),
        ("  wb web UI runs table JSON, same query (ms)",
         lambda r: r["table"]["ui"][0] if "ui" in r["table"] else None, False, " ms", ""),
        ("server RSS idle (MB)", lambda r: r["idle_rss"] / MB, False, " MB", "< 150 MB"),
        ("server RSS peak while ingesting (MB)", lambda r: r["ingest"]["peak_rss"] / MB,
         False, " MB", "< 400 MB"),
    ]
    head = ["figure", "MLflow (SQLite)"]
    for name, _r in wbs:
        head += [f"wbserver ({name})", "ratio"]
    head.append("target")
    lines = [head]
    for label, get, higher, unit, target in rows:
        theirs = _safe(get, ml)
        cells = [label, _fmt(theirs, unit)]
        for _name, r in wbs:
            ours = _safe(get, r)
            cells += [_fmt(ours, unit), _ratio(ours, theirs, higher)]
        cells.append(target)
        lines.append(cells)
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    out = []
    for n, line in enumerate(lines):
        out.append(" | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                              for i, (c, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


def _safe(get: Any, result: dict[str, Any] | None) -> float | None:
    if result is None:
        return None
    try:
        value = get(result)
    except (KeyError, TypeError):
        return None
    return None if value is None else float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    parser.add_argument("--no-mlflow", action="store_true", help="only wbserver")
    parser.add_argument("--mlflow-python", default=None,
                        help="a Python with mlflow installed (default: this one)")
    parser.add_argument("--no-sqlite", action="store_true",
                        help="skip wbserver on SQLite (with --mysql: only MariaDB)")
    parser.add_argument("--mysql", default=None,
                        help="also run wbserver on this MariaDB/MySQL server "
                             "(mysql://user:pass@host:port; a fresh database is made)")
    for name in ("runs", "steps", "metrics", "history", "big", "table", "mlflow_table"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=None)
    args = parser.parse_args()
    size = sizes(args.quick)
    for name in size:
        if getattr(args, name, None) is not None:
            size[name] = getattr(args, name)
    print("sizes:", ", ".join(f"{k}={v:,}" for k, v in size.items()), flush=True)
    work = Path(tempfile.mkdtemp(prefix="wbcompare-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        if not args.no_mlflow:
            results["mlflow"] = measure_mlflow(work / "mlflow", size,
                                               args.mlflow_python or sys.executable)
        if not args.no_sqlite:
            results["SQLite"] = measure_wbserver(work / "sqlite", size, None)
        if args.mysql:
            results["MariaDB"] = measure_wbserver(work / "mariadb", size, args.mysql)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(size, results))
    for name, r in results.items():
        ingest = r["ingest"]
        print(f"{name}: ingest {ingest['points']:,} points, server CPU {ingest['cpu']:.1f} s, "
              f"wall {ingest['wall']:.1f} s; extra: "
              + ", ".join(f"{k} {v}" for k, v in r.get("big", {}).items() if k == "fill_s")
              + (f" table fill {r['table'].get('fill_s', 0):.1f} s" if "table" in r else ""))


if __name__ == "__main__":
    main()
