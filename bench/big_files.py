"""Big files through the server (issue 24, item 4): a `wandb.save` of one big file and an
artifact holding one big file, uploaded by the real `wandb` client (which asks for multipart
URLs for files of 2 GiB and more and takes one PUT when the store offers none), then
downloaded again and compared by SHA-256. The server's RSS is sampled every 0.5 s (printed as
a short series: it should stay flat, the bytes are streamed) and its CPU-seconds per GiB are
printed for each upload and download.

With `--moto` the script starts a moto S3 server (from this Python's environment) and the
server keeps its files in a bucket there (`--bucket` names another one): the client puts the
bytes straight to the bucket, and the server CPU per GiB shows what the server still does.
moto keeps objects in memory: use 1 GiB or less there.

    .venv/bin/python bench/big_files.py --quick          # 256 MiB
    .venv/bin/python bench/big_files.py                  # 2 GiB
    .venv/bin/python bench/big_files.py --gib 1 --moto
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_wb as wb  # noqa: E402
from compare_servers import cpu_seconds, rss, start_wbserver  # noqa: E402

GIB = 2**30
CLIENT = textwrap.dedent("""
    import os, sys, time, wandb
    path, what = sys.argv[1], sys.argv[2]
    tag = sys.argv[3] if len(sys.argv) > 3 and what in ("save", "artifact") else ""
    t0 = time.time()
    if what == "save":
        run = wandb.init(project="big", id="bigsave" + tag, name="bigsave" + tag)
        os.makedirs(os.path.join(run.dir, "blobs"), exist_ok=True)
        wandb.save(path, base_path=os.path.dirname(path), policy="now")
        run.finish()
    elif what == "artifact":
        run = wandb.init(project="big", id="bigart" + tag, name="bigart" + tag)
        art = wandb.Artifact("bigfile" + tag, type="dataset")
        art.add_file(path, name="big.bin")
        run.log_artifact(art).wait()
        run.finish()
    elif what == "get-save":
        api = wandb.Api(timeout=600)
        api.run("bench/big/bigsave").file(os.path.basename(sys.argv[3])).download(
            root=path, replace=True)
    elif what == "get-artifact":
        api = wandb.Api(timeout=600)
        api.artifact("bench/big/bigfile:latest").download(root=path)
    print("TOOK", time.time() - t0, flush=True)
""")


class Sampler:
    """RSS of the server's process tree every `every` seconds while in a `with`."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self.pid, self.every, self.samples = pid, every, []  # type: ignore[var-annotated]
        self._stop = threading.Event()

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss(self.pid))
            time.sleep(self.every)

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def series(self, points: int = 12) -> str:
        s = self.samples or [0]
        step = max(1, len(s) // points)
        return " ".join(f"{x / 2**20:.0f}" for x in s[::step])


def make_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    block = os.urandom(8 * 2**20)
    with path.open("wb") as out:
        written = 0
        while written < size:
            chunk = block[: min(len(block), size - written)]
            # vary each block a little so no two blocks are equal (no accidental dedup)
            chunk = written.to_bytes(8, "little") + chunk[8:]
            out.write(chunk)
            digest.update(chunk)
            written += len(chunk)
    return digest.hexdigest()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(8 * 2**20):
            digest.update(block)
    return digest.hexdigest()


def phase(srv: Any, env: dict[str, str], script: Path, *args: str) -> dict[str, Any]:
    pid = srv.proc.pid
    with Sampler(pid) as sampler:
        cpu0, t0 = cpu_seconds(pid), time.perf_counter()
        subprocess.run([sys.executable, str(script), *args], env=env, check=True,
                       capture_output=True, text=True)
        wall, cpu = time.perf_counter() - t0, cpu_seconds(pid) - cpu0
    return {"wall": wall, "cpu": cpu, "rss": sampler}


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    import boto3
    import httpx
    from compare_servers import free_port

    port = free_port()
    proc = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H",
                             "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/moto-api/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKTEST",
                 aws_secret_access_key="test-secret").create_bucket(Bucket="bench")
    return proc, f"s3://AKTEST:test-secret@127.0.0.1:{port}/bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="256 MiB")
    parser.add_argument("--gib", type=float, default=None, help="file size in GiB (2)")
    parser.add_argument("--bucket", default=None, help="BUCKET= for the server (an S3 URI)")
    parser.add_argument("--moto", action="store_true", help="start a moto S3 server for it")
    args = parser.parse_args()
    moto = None
    if args.moto:
        moto, args.bucket = start_moto()
    size = int((args.gib if args.gib is not None else (0.25 if args.quick else 2)) * GIB)
    work = Path(tempfile.mkdtemp(prefix="wbbig-"))
    if args.bucket:
        os.environ["BUCKET"] = args.bucket
        os.environ.setdefault("BUCKET_QUEUE", "internal://")
    srv = start_wbserver(work, None)
    rows = []
    try:
        src = work / "src" / "big.bin"
        src.parent.mkdir()
        print(f"writing a {size / GIB:.2f} GiB file", flush=True)
        digest = make_file(src, size)
        script = work / "client.py"
        script.write_text(CLIENT)
        env = wb._client_env(srv, work)
        env["WANDB_CACHE_DIR"] = str(work / "cache")
        gib = size / GIB
        idle = rss(srv.proc.pid)
        tiny = work / "tiny" / "big.bin"
        tiny.parent.mkdir()
        tiny.write_bytes(os.urandom(1024))
        fixed = {}
        for what in ("save", "artifact"):  # what a run costs the server besides the bytes
            print(f"fixed cost: {what} of a 1 KiB file", flush=True)
            fixed[what] = phase(srv, env, script, str(tiny), what, "tiny")["cpu"]
        for label, args_, base in (
                ("wandb.save upload", (str(src), "save"), fixed["save"]),
                ("wandb.save download", (str(work / "got-save"), "get-save", str(src)), 0.0),
                ("artifact upload", (str(src), "artifact"), fixed["artifact"]),
                ("artifact download (clean cache)", (str(work / "got-art"), "get-artifact"),
                 0.0)):
            print(f"{label}", flush=True)
            if "artifact download" in label:
                shutil.rmtree(work / "cache", ignore_errors=True)
            result = phase(srv, env, script, *args_)
            result["base"] = base
            rows.append((label, result))
        same_save = sha256(work / "got-save" / "big.bin") == digest
        same_art = sha256(work / "got-art" / "big.bin") == digest
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
        if moto is not None:
            moto.terminate()
            moto.wait(30)
    where = f"bucket {args.bucket.split('@')[-1]}" if args.bucket else "local store"
    print(f"\n{gib:.2f} GiB file, {where}; server RSS idle {idle / 2**20:.0f} MB")
    print("| phase | wall | server CPU-s (whole phase) | same less a 1 KiB run's, per GiB "
          "(target <= 1) | server RSS max (MB) | RSS series (MB, every ~wall/12) |\n"
          "|---|---|---|---|---|---|")
    for label, r in rows:
        print(f"| {label} | {r['wall']:.1f} s | {r['cpu']:.1f} | "
              f"{(r['cpu'] - r['base']) / gib:.2f} | "
              f"{max(r['rss'].samples or [0]) / 2**20:.0f} | {r['rss'].series()} |")
    print(f"| byte-identical download (SHA-256) | save: {same_save}, artifact: {same_art} | | |"
          " | |")


if __name__ == "__main__":
    main()
