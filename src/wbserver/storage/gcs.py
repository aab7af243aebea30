"""Google Cloud Storage with V4 signed URLs.

    gs://BUCKET[/PREFIX][?endpoint=http://127.0.0.1:9023]

Credentials are Application Default Credentials. Signing needs a service-account key file
(GOOGLE_APPLICATION_CREDENTIALS) or, for other credentials (e.g. the metadata server), the
`iam.serviceAccounts.signBlob` permission on the service account. `endpoint` is for the
storage emulator: the API is then used anonymously and signed URLs point at it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from wbserver.backends import STORES, BackendEnv
from wbserver.errors import ConfigError
from wbserver.ports import BlobInfo
from wbserver.storage.cors import CorsRule
from wbserver.storage.streams import CHUNK, hash_chunks, hex_md5, key_in_bucket, upload_checked

MAX_SIGNED = 7 * 24 * 3600


class GcsBlobStore:
    signed_urls = True
    default_endpoint = "https://storage.googleapis.com (Application Default Credentials)"

    def __init__(self, bucket: str, prefix: str, endpoint: str | None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self.name = "gs://" + "/".join(p for p in (bucket, prefix) if p)
        self._client: Any = None
        self._signing: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from google.cloud import storage

            if self.endpoint:
                from google.auth.credentials import AnonymousCredentials

                self._client = storage.Client(
                    project="wbserver", credentials=AnonymousCredentials(),
                    client_options={"api_endpoint": self.endpoint})
            else:
                self._client = storage.Client()
        return self._client

    def _blob(self, key: str) -> Any:
        name = f"{self.prefix}/{key}" if self.prefix else key
        return self.client.bucket(self.bucket).blob(name)

    def key_for(self, bucket: str, name: str) -> str | None:
        return key_in_bucket(bucket=self.bucket, prefix=self.prefix, event_bucket=bucket,
                             name=name)

    def check(self) -> None:
        try:
            self.client.get_bucket(self.bucket)
        except Exception as exc:
            raise ConfigError(f"cannot open GCS bucket {self.bucket!r}: {_message(exc)}") from exc
        self._signing_args()

    def write(self, key: str, chunks: Iterable[bytes], *, md5_hex: str | None = None) -> BlobInfo:
        return upload_checked(
            chunks, md5_hex,
            lambda reader: self._blob(key).upload_from_file(reader, rewind=False),
            lambda: self.delete(key))

    def open_read(self, key: str) -> Iterator[bytes]:
        from google.api_core.exceptions import NotFound

        handle = self._blob(key).open("rb", chunk_size=CHUNK)
        try:
            first = handle.read(CHUNK)  # a missing object fails here, not when iterated
        except NotFound as exc:
            handle.close()
            raise FileNotFoundError(key) from exc

        def chunks() -> Iterator[bytes]:
            with handle:
                chunk = first
                while chunk:
                    yield chunk
                    chunk = handle.read(CHUNK)
        return chunks()

    def stat(self, key: str) -> BlobInfo | None:
        blob = self.client.bucket(self.bucket).get_blob(self._blob(key).name)
        if blob is None:
            return None
        md5 = hex_md5(blob.md5_hash)  # composite objects have none: hash the bytes
        if md5 is None:
            return hash_chunks(self.open_read(key))
        return BlobInfo(size=int(blob.size or 0), md5_hex=md5)

    def delete(self, key: str) -> bool:
        from google.api_core.exceptions import NotFound

        try:
            self._blob(key).delete()
        except NotFound:
            return False
        return True

    def _signing_args(self) -> dict[str, Any]:
        """Credentials for signing, or ConfigError saying what is missing."""
        if self._signing is not None:
            return dict(self._signing)
        try:
            import google.auth
            import google.auth.transport.requests

            credentials, _project = google.auth.default(
                scopes=["https://www.googleapis.com/auth/cloud-platform"])
        except Exception as exc:
            raise ConfigError(
                "signing GCS URLs needs credentials: a service-account key file "
                f"(GOOGLE_APPLICATION_CREDENTIALS) or workload credentials ({_message(exc)})"
            ) from exc
        if hasattr(credentials, "sign_bytes") and getattr(credentials, "signer_email", None):
            self._signing = {"credentials": credentials}
        else:
            email = getattr(credentials, "service_account_email", None)
            if not email:
                raise ConfigError(
                    "signing GCS URLs needs a service-account key file "
                    "(GOOGLE_APPLICATION_CREDENTIALS) or service-account credentials with the "
                    "iam.serviceAccounts.signBlob permission; these credentials have neither")
            try:
                credentials.refresh(google.auth.transport.requests.Request())
            except Exception as exc:
                raise ConfigError(f"cannot refresh the credentials of {email}: "
                                  f"{_message(exc)}") from exc
            self._signing = {"service_account_email": email, "access_token": credentials.token}
        return dict(self._signing)

    def _signed(self, key: str, method: str, expires_in: int,
                content_md5: str | None = None) -> str:
        args = self._signing_args()
        if content_md5:
            args["content_md5"] = content_md5
        if self.endpoint:
            args["api_access_endpoint"] = self.endpoint
        try:
            return str(self._blob(key).generate_signed_url(
                version="v4", method=method,
                expiration=timedelta(seconds=min(expires_in, MAX_SIGNED)), **args))
        except Exception as exc:
            if "access_token" in args:
                self._signing = None  # the token may have expired: fetch a new one next time
                raise ConfigError(
                    "signing a GCS URL through IAM failed; the service account "
                    f"{args['service_account_email']} needs iam.serviceAccounts.signBlob: "
                    f"{_message(exc)}") from exc
            raise ConfigError(f"signing a GCS URL failed: {_message(exc)}") from exc

    def upload_url(self, key: str, *, base_url: str, expires_in: int,
                   content_md5: str | None = None) -> tuple[str, list[str]]:
        """With `content_md5` the URL signs the Content-MD5 header: GCS takes no other bytes."""
        url = self._signed(key, "PUT", expires_in, content_md5)
        return url, [f"Content-MD5:{content_md5}"] if content_md5 else []

    def download_url(self, key: str, *, base_url: str, expires_in: int) -> str:
        return self._signed(key, "GET", expires_in)

    def get_cors(self) -> list[CorsRule]:
        bucket = self.client.get_bucket(self.bucket)
        return [CorsRule(origins=tuple(r.get("origin", [])), methods=tuple(r.get("method", [])),
                         headers=tuple(r.get("responseHeader", [])),
                         expose=tuple(r.get("responseHeader", [])),
                         max_age=int(r.get("maxAgeSeconds", 0))) for r in bucket.cors or []]

    def set_cors(self, rules: list[CorsRule]) -> None:
        bucket = self.client.get_bucket(self.bucket)
        bucket.cors = [{"origin": list(r.origins), "method": list(r.methods),
                        "responseHeader": sorted({*r.expose, "Content-Type"}),
                        "maxAgeSeconds": r.max_age} for r in rules]
        try:
            bucket.patch()
        except Exception as exc:
            raise ConfigError(f"cannot set the CORS rules of {self.bucket!r}: "
                              f"{_message(exc)}") from exc


def _message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


@STORES.register("gs", sdk="google.cloud.storage", extra="gcs")
def open_gcs(uri: str, env: BackendEnv) -> GcsBlobStore:
    parts = urlsplit(uri)
    if not parts.netloc:
        raise ConfigError("the URI names no bucket: gs://BUCKET[/PREFIX]")
    endpoint = parse_qs(parts.query).get("endpoint", [None])[0]
    if endpoint and urlsplit(endpoint).scheme not in ("http", "https"):
        raise ConfigError("endpoint must be an http(s) URL")
    return GcsBlobStore(parts.netloc, parts.path.strip("/"), endpoint)
