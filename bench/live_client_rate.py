"""How often the real `wandb` client sends a file_stream request for a live run (issue 24,
item 3): the figure `bench/live_runs.py` replays by default.

Starts a wbserver, runs the installed `wandb` client in a subprocess logging one history row
and printing one console line a second for `--seconds`, and samples the server's own count of
file_stream requests (its /metrics) every half second. Prints each request's arrival (to the
half second), the gaps between them and the mean interval over the steady part (the first
request, sent as the run starts, and the last, sent as it finishes, are left out). A figure,
not pass/fail.

    .venv/bin/python bench/live_client_rate.py              # 60 s
    .venv/bin/python bench/live_client_rate.py --seconds 90
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_servers import start_wbserver  # noqa: E402

CLIENT = textwrap.dedent("""
    import sys, time, wandb
    seconds = float(sys.argv[1])
    run = wandb.init(entity="bench", project="rate", name="one-row-a-second")
    start = time.monotonic()
    step = 0
    while time.monotonic() - start < seconds:
        run.log({"loss": 1.0 / (step + 1), "acc": step / 1000.0})
        print(f"step {step} loss {1.0 / (step + 1):.4f}", flush=True)
        step += 1
        time.sleep(max(0.0, start + step - time.monotonic()))
    run.finish()
""")


def file_stream_count(client: httpx.Client) -> int:
    """The server's count of answered file_stream POSTs (its latency histogram's _count)."""
    total = 0.0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("wbserver_http_request_duration_seconds_count") and \
                "file_stream" in line and 'method="POST"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wbrate-"))
    srv = start_wbserver(work, None)
    root = work / "client"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(HOME=str(root), WANDB_BASE_URL=srv.url, WANDB_API_KEY=srv.key,
               WANDB_DIR=str(root / "wandb"), WANDB_CACHE_DIR=str(root / "cache"),
               WANDB_CONFIG_DIR=str(root / "config"), WANDB_DATA_DIR=str(root / "data"),
               WANDB_SILENT="true", WANDB_DISABLE_GIT="true", WANDB_DISABLE_CODE="true",
               WANDB_ERROR_REPORTING="false")
    (root / "wandb").mkdir(parents=True)
    arrivals: list[float] = []
    try:
        token = base64.b64encode(f"api:{srv.key}".encode()).decode()
        with httpx.Client(base_url=srv.url,
                          headers={"Authorization": f"Basic {token}"}) as metrics:
            seen = file_stream_count(metrics)
            t0 = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-c", CLIENT, str(args.seconds)], env=env,
                                    stdout=subprocess.DEVNULL)
            while proc.poll() is None:
                time.sleep(0.5)
                now = file_stream_count(metrics)
                arrivals += [time.monotonic() - t0] * (now - seen)
                seen = now
            arrivals += [time.monotonic() - t0] * (file_stream_count(metrics) - seen)
            assert proc.returncode == 0, f"the client failed ({proc.returncode})"
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    import wandb

    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    steady = arrivals[1:-1]
    mean = ((steady[-1] - steady[0]) / (len(steady) - 1)) if len(steady) > 1 else float("nan")
    print(f"wandb {wandb.__version__}: one row a second for {args.seconds:g} s sent "
          f"{len(arrivals)} file_stream requests")
    print("arrivals (s after the client started):", " ".join(f"{a:.1f}" for a in arrivals))
    print("gaps (s):", " ".join(f"{g:.1f}" for g in gaps))
    print(f"steady interval: {mean:.1f} s a request per live run "
          f"(256 such runs: {256 / mean:.1f} requests/s)")


if __name__ == "__main__":
    main()
