"""The storage emulators the storage tests use: moto server (S3 + SQS), Azurite (Azure blob
and queue), gcp-storage-emulator (GCS) and, where the gcloud SDK has it, the Pub/Sub emulator.

`start_all()` starts every one in parallel on free loopback ports, waits until each answers
and returns handles; `stop()` stops each by its own process group. A missing emulator fails
loudly (the Pub/Sub one is optional: no registry ships it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent
AZURITE_DIR = ROOT / "services" / "azurite"

# Azurite's published development account (the same for every Azurite installation).
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
             "K1SZFPTOtr/KBHBeksoGMGw==")
START_TIMEOUT = 60.0


def _pubsub_emulator() -> Path:
    """The gcloud SDK's Pub/Sub emulator, next to `gcloud` on PATH (or a path that does not
    exist when there is no SDK)."""
    gcloud = shutil.which("gcloud")
    sdk = Path(gcloud).resolve().parent.parent if gcloud else Path("/nonexistent")
    return sdk / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"


PUBSUB_EMULATOR = _pubsub_emulator()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    ports: dict[str, int] = field(default_factory=dict)

    def url(self, which: str = "main") -> str:
        return f"http://127.0.0.1:{self.ports[which]}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


@dataclass
class Emulators:
    moto: Service
    azurite: Service
    gcs: Service
    pubsub: Service | None
    gcs_key_file: Path

    @property
    def services(self) -> list[Service]:
        return [s for s in (self.moto, self.azurite, self.gcs, self.pubsub) if s]

    def stop(self) -> None:
        for service in self.services:
            service.stop()


def _spawn(name: str, cmd: list[str], folder: Path, ports: dict[str, int]) -> Service:
    log = folder / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, cwd=folder)
    return Service(name=name, proc=proc, log=log, ports=ports)


def _answers(service: Service) -> bool:
    if service.name == "pubsub":
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", service.ports["main"])) == 0
    path = {"moto": "/moto-api/", "azurite": "/", "gcs": "/storage/v1/b"}[service.name]
    try:
        httpx.get(service.url() + path, timeout=1)
    except httpx.HTTPError:
        return False
    return True


def _wait(services: list[Service]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    waiting = list(services)
    while waiting:
        for service in list(waiting):
            if service.proc.poll() is not None:
                raise RuntimeError(f"the {service.name} emulator exited with code "
                                   f"{service.proc.returncode}:\n{service.log.read_text()[-3000:]}")
            if _answers(service):
                waiting.remove(service)
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"{[s.name for s in waiting]} did not answer within "
                               f"{START_TIMEOUT:.0f} s")
        time.sleep(0.2)


def gcs_service_account(path: Path) -> Path:
    """A throwaway service-account key (a fresh RSA key): V4 signing is local, and the
    emulator does not check signatures."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": "wbserver-test", "private_key_id": "test",
        "private_key": pem, "client_email": "wbserver-test@wbserver-test.invalid",
        "client_id": "1", "token_uri": "http://127.0.0.1:9/token"}))
    return path


def start_all(folder: Path) -> Emulators:
    bin_dir = Path(sys.executable).parent
    azurite_bin = AZURITE_DIR / "node_modules" / ".bin" / "azurite"
    if not azurite_bin.exists():
        raise RuntimeError(f"Azurite is not installed: run `npm ci` in {AZURITE_DIR} "
                           "(.ci/run does it)")
    moto_port, gcs_port = free_port(), free_port()
    blob_port, queue_port, table_port = free_port(), free_port(), free_port()
    moto = _spawn("moto", [str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p",
                           str(moto_port)], folder, {"main": moto_port})
    azurite = _spawn("azurite", [
        str(azurite_bin), "--silent", "--inMemoryPersistence", "--disableTelemetry",
        "--skipApiVersionCheck", "--loose", "--blobHost", "127.0.0.1", "--blobPort",
        str(blob_port), "--queueHost", "127.0.0.1", "--queuePort", str(queue_port),
        "--tableHost", "127.0.0.1", "--tablePort", str(table_port)], folder, {"main": blob_port, "queue": queue_port})
    gcs = _spawn("gcs", [str(bin_dir / "gcp-storage-emulator"), "start", "--host", "127.0.0.1",
                         "--port", str(gcs_port), "--in-memory", "-q"], folder,
                 {"main": gcs_port})
    pubsub = None
    if PUBSUB_EMULATOR.exists():
        port = free_port()
        pubsub = _spawn("pubsub", [str(PUBSUB_EMULATOR), "--host=127.0.0.1", f"--port={port}"],
                        folder, {"main": port})
    emulators = Emulators(moto=moto, azurite=azurite, gcs=gcs, pubsub=pubsub,
                          gcs_key_file=gcs_service_account(folder / "gcs-key.json"))
    try:
        _wait(emulators.services)
    except BaseException:
        emulators.stop()
        raise
    return emulators


# --------------------------------------------------------------------------- per-test places

def unique(prefix: str) -> str:
    return f"{prefix}-{os.urandom(4).hex()}"


def s3_client(emulators: Emulators, service: str = "s3"):  # noqa: ANN201
    import boto3

    return boto3.client(service, endpoint_url=emulators.moto.url(), region_name="us-east-1",
                        aws_access_key_id="AKTEST", aws_secret_access_key="test-secret")


def s3_bucket(emulators: Emulators, prefix: str = "wb") -> tuple[str, dict[str, str]]:
    """A fresh moto bucket; (bucket name, server environment naming it)."""
    bucket = unique("bkt")
    s3_client(emulators).create_bucket(Bucket=bucket)
    host = f"127.0.0.1:{emulators.moto.ports['main']}"
    uri = f"s3://AKTEST:test-secret@{host}/{bucket}" + (f"/{prefix}" if prefix else "")
    return bucket, {"BUCKET": uri}


def sqs_queue_for(emulators: Emulators, bucket: str) -> dict[str, str]:
    """A fresh SQS queue receiving the bucket's object-created events (as AWS would)."""
    sqs = s3_client(emulators, "sqs")
    name = unique("events")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    s3_client(emulators).put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
            {"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    host = f"127.0.0.1:{emulators.moto.ports['main']}"
    return {"BUCKET_QUEUE": f"sqs://AKTEST:test-secret@{host}/{name}"}


def azure_blob_service(emulators: Emulators):  # noqa: ANN201
    from azure.storage.blob import BlobServiceClient

    return BlobServiceClient(f"{emulators.azurite.url()}/{AZURE_ACCOUNT}",
                             credential={"account_name": AZURE_ACCOUNT, "account_key": AZURE_KEY})


def azure_container(emulators: Emulators, prefix: str = "wb") -> tuple[str, dict[str, str]]:
    container = unique("ctr")
    azure_blob_service(emulators).create_container(container)
    endpoint = f"{emulators.azurite.url()}/{AZURE_ACCOUNT}"
    path = f"{container}/{prefix}" if prefix else container
    return container, {"BUCKET": f"az://{AZURE_ACCOUNT}/{path}?endpoint={endpoint}",
                       "AZURE_STORAGE_KEY": AZURE_KEY}


def azure_queue(emulators: Emulators):  # noqa: ANN201
    """A fresh Azurite queue: (QueueClient, server environment naming it)."""
    from azure.storage.queue import QueueClient

    name = unique("events")
    endpoint = f"{emulators.azurite.url('queue')}/{AZURE_ACCOUNT}"
    client = QueueClient(endpoint, name, credential={"account_name": AZURE_ACCOUNT,
                                                     "account_key": AZURE_KEY})
    client.create_queue()
    return client, {"BUCKET_QUEUE": f"az://{AZURE_ACCOUNT}/{name}?endpoint={endpoint}",
                    "AZURE_STORAGE_KEY": AZURE_KEY}


def blob_created_message(container: str, name: str, size: int) -> str:
    """What Event Grid puts on a storage queue for a new blob (Base64-encoded JSON)."""
    import base64

    event = {"topic": f"/subscriptions/x/resourceGroups/x/providers/Microsoft.Storage/"
                      f"storageAccounts/{AZURE_ACCOUNT}",
             "subject": f"/blobServices/default/containers/{container}/blobs/{name}",
             "eventType": "Microsoft.Storage.BlobCreated", "id": os.urandom(8).hex(),
             "eventTime": "2026-01-01T00:00:00Z", "dataVersion": "", "metadataVersion": "1",
             "data": {"api": "PutBlob", "contentLength": size, "blobType": "BlockBlob",
                      "url": f"https://{AZURE_ACCOUNT}.blob.core.windows.net/{container}/{name}"}}
    return base64.b64encode(json.dumps(event).encode()).decode()


def gcs_client(emulators: Emulators):  # noqa: ANN201
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    return storage.Client(project="test", credentials=AnonymousCredentials(),
                          client_options={"api_endpoint": emulators.gcs.url()})


def gcs_bucket(emulators: Emulators, prefix: str = "wb") -> tuple[str, dict[str, str]]:
    bucket = unique("gbkt")
    gcs_client(emulators).create_bucket(bucket)
    path = f"{bucket}/{prefix}" if prefix else bucket
    return bucket, {"BUCKET": f"gs://{path}?endpoint={emulators.gcs.url()}",
                    "GOOGLE_APPLICATION_CREDENTIALS": str(emulators.gcs_key_file)}
