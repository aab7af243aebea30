"""Azure Blob Storage with SAS URLs (uploads carry `x-ms-blob-type: BlockBlob`).

    az://ACCOUNT/CONTAINER[/PREFIX][?endpoint=http://127.0.0.1:10000/devstoreaccount1]

The account key is AZURE_STORAGE_KEY. `endpoint` replaces https://ACCOUNT.blob.core.windows.net
(for Azurite or another cloud).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from uuid import uuid4

from wbserver.backends import STORES, BackendEnv
from wbserver.errors import ConfigError, InvalidInput
from wbserver.ports import BlobInfo, MultipartUpload
from wbserver.storage.cors import CorsRule
from wbserver.storage.streams import hash_chunks, hex_md5, key_in_bucket, upload_checked

UPLOAD_HEADERS = ["x-ms-blob-type:BlockBlob"]


def azure_target(uri: str, env: BackendEnv, what: str, form: str) -> tuple[str, list[str], str]:
    """(account, path segments after the account, account URL) of an az:// URI; `what` is
    the service (blob or queue)."""
    parts = urlsplit(uri)
    segments = [p for p in parts.path.split("/") if p]
    if not parts.netloc or not segments:
        raise ConfigError(f"expected {form}")
    if not env.azure_storage_key:
        raise ConfigError("AZURE_STORAGE_KEY (the storage account's access key) is not set")
    endpoint = parse_qs(parts.query).get("endpoint", [None])[0]
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ConfigError("endpoint must be an http(s) URL")
    return parts.netloc, segments, (endpoint or f"https://{parts.netloc}.{what}.core.windows.net")


def azure_message(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return message.splitlines()[0]


class AzureBlobStore:
    signed_urls = True

    def __init__(self, account: str, container: str, prefix: str, account_url: str,
                 key: str) -> None:
        self.account = account
        self.bucket = container
        self.prefix = prefix
        self.account_url = account_url.rstrip("/")
        self._key = key
        self.name = "az://" + "/".join(p for p in (account, container, prefix) if p)
        self._service: Any = None

    @property
    def service(self) -> Any:
        if self._service is None:
            from azure.storage.blob import BlobServiceClient

            self._service = BlobServiceClient(
                self.account_url,
                credential={"account_name": self.account, "account_key": self._key})
        return self._service

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _blob(self, key: str) -> Any:
        return self.service.get_blob_client(self.bucket, self._name(key))

    def key_for(self, bucket: str, name: str) -> str | None:
        return key_in_bucket(bucket=self.bucket, prefix=self.prefix, event_bucket=bucket,
                             name=name)

    def check(self) -> None:
        try:
            self.service.get_container_client(self.bucket).get_container_properties()
        except Exception as exc:
            raise ConfigError(f"cannot open Azure container {self.bucket!r} of account "
                              f"{self.account!r}: {azure_message(exc)}") from exc

    def write(self, key: str, chunks: Iterable[bytes], *, md5_hex: str | None = None) -> BlobInfo:
        return upload_checked(
            chunks, md5_hex,
            lambda reader: self._blob(key).upload_blob(reader, overwrite=True),
            lambda: self.delete(key))

    def open_read(self, key: str) -> Iterator[bytes]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            download = self._blob(key).download_blob()
        except ResourceNotFoundError as exc:
            raise FileNotFoundError(key) from exc
        return iter(download.chunks())

    def stat(self, key: str) -> BlobInfo | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            props = self._blob(key).get_blob_properties()
        except ResourceNotFoundError:
            return None
        md5 = hex_md5(props.content_settings.content_md5)
        if md5 is None:
            return hash_chunks(self.open_read(key))
        return BlobInfo(size=int(props.size), md5_hex=md5)

    def delete(self, key: str) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._blob(key).delete_blob()
        except ResourceNotFoundError:
            return False
        return True

    def _sas_url(self, key: str, expires_in: int, **permission: bool) -> str:
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        now = datetime.now(UTC)
        name = self._name(key)
        sas = generate_blob_sas(
            self.account, self.bucket, name, account_key=self._key,
            permission=BlobSasPermissions(**permission), start=now - timedelta(minutes=5),
            expiry=now + timedelta(seconds=expires_in))
        return f"{self.account_url}/{self.bucket}/{quote(name, safe='/')}?{sas}"

    def upload_url(self, key: str, *, base_url: str, expires_in: int,
                   content_md5: str | None = None) -> tuple[str, list[str]]:
        """A SAS cannot require a header: Content-MD5 (checked by Azure when sent) is only
        asked for."""
        headers = [*UPLOAD_HEADERS, *([f"Content-MD5:{content_md5}"] if content_md5 else [])]
        return self._sas_url(key, expires_in, create=True, write=True), headers

    def download_url(self, key: str, *, base_url: str, expires_in: int) -> str:
        return self._sas_url(key, expires_in, read=True)

    # SupportsMultipart: parts are blocks ("Put Block"), completion is "Put Block List" ----

    def start_multipart(self, key: str, *, parts: list[int],
                        expires_in: int) -> MultipartUpload:
        """The upload id is ours (Azure has none): it names the blocks of this upload, so two
        uploads of one key never mix their blocks."""
        upload_id = uuid4().hex
        url = self._sas_url(key, expires_in, create=True, write=True)
        return MultipartUpload(upload_id=upload_id, part_urls=[
            (number, f"{url}&comp=block&blockid="
                     f"{quote(base64.b64encode(_block_id(upload_id, number).encode()).decode())}")
            for number in parts])

    def complete_multipart(self, key: str, *, upload_id: str, parts: list[int]) -> str:
        from azure.core.exceptions import HttpResponseError
        from azure.storage.blob import BlobBlock

        if not _UPLOAD_ID.fullmatch(upload_id):
            raise InvalidInput(f"no multipart upload {upload_id!r} for {key}")
        blocks = [BlobBlock(block_id=_block_id(upload_id, n)) for n in sorted(set(parts))]
        try:
            done = self._blob(key).commit_block_list(blocks)
        except HttpResponseError as exc:  # InvalidBlockList: a part was not uploaded
            raise InvalidInput(f"the parts of upload {upload_id!r} cannot be completed: "
                               f"{azure_message(exc)}") from exc
        return str(done.get("etag") or "").strip('"')

    def get_cors(self) -> list[CorsRule]:
        """CORS is per storage account in Azure (it covers every container)."""
        try:
            rules = self.service.get_service_properties().get("cors") or []
        except Exception as exc:
            raise ConfigError(f"cannot read the CORS rules of account {self.account!r}: "
                              f"{azure_message(exc)}") from exc
        return [CorsRule(origins=_split(r.allowed_origins), methods=_split(r.allowed_methods),
                         headers=_split(r.allowed_headers), expose=_split(r.exposed_headers),
                         max_age=int(r.max_age_in_seconds or 0)) for r in rules]

    def set_cors(self, rules: list[CorsRule]) -> None:
        from azure.storage.blob import CorsRule as AzureCorsRule

        azure_rules = [AzureCorsRule(list(r.origins), list(r.methods),
                                     allowed_headers=list(r.headers),
                                     exposed_headers=list(r.expose),
                                     max_age_in_seconds=r.max_age) for r in rules]
        try:
            self.service.set_service_properties(cors=azure_rules)
        except Exception as exc:
            raise ConfigError(f"cannot set the CORS rules of account {self.account!r}: "
                              f"{azure_message(exc)}") from exc


_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


def _block_id(upload_id: str, part: int) -> str:
    """Block ids of one blob must all have one length: upload id and a 5-digit part number."""
    return f"{upload_id}-{part:05d}"


def _split(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    return tuple(i.strip() for i in items if i.strip())


@STORES.register("az", sdk="azure.storage.blob", extra="azure")
def open_azure(uri: str, env: BackendEnv) -> AzureBlobStore:
    account, segments, account_url = azure_target(uri, env, "blob", "az://ACCOUNT/CONTAINER[/PREFIX]")
    return AzureBlobStore(account, segments[0], "/".join(segments[1:]), account_url,
                          env.azure_storage_key)
