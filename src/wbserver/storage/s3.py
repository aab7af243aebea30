"""Amazon S3 and S3-compatible stores (MinIO, Ceph...), with presigned URLs.

    s3://BUCKET[/PREFIX]                                  AWS: AWS_REGION, the standard chain
    s3://ACCESS:SECRET@HOST[:PORT]/BUCKET[/PREFIX][?tls=true]   an S3-compatible endpoint
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from wbserver.backends import STORES, BackendEnv
from wbserver.errors import ConfigError, InvalidInput
from wbserver.ports import BlobInfo, MultipartUpload
from wbserver.storage.cors import CorsRule
from wbserver.storage.streams import CHUNK, hash_chunks, hex_md5, key_in_bucket, upload_checked

MAX_PRESIGN = 7 * 24 * 3600  # SigV4 limit


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str
    endpoint: str | None = None  # None: AWS
    access_key: str | None = None
    secret_key: str | None = None

    @property
    def name(self) -> str:
        host = urlsplit(self.endpoint).netloc + "/" if self.endpoint else ""
        return "s3://" + host + "/".join(p for p in (self.bucket, self.prefix) if p)


def parse_s3_uri(uri: str) -> S3Location:
    """Either form; the S3-compatible one is recognised by ACCESS:SECRET@ in the URI."""
    parts = urlsplit(uri)
    query = parse_qs(parts.query)
    path = [p for p in parts.path.split("/") if p]
    if parts.username is not None:
        if parts.password is None or not parts.hostname:
            raise ConfigError("an S3-compatible store is s3://ACCESS:SECRET@HOST[:PORT]/BUCKET")
        if not path:
            raise ConfigError("the URI names no bucket after the host")
        tls = query.get("tls", ["false"])[0].lower() in ("1", "true", "yes")
        port = f":{parts.port}" if parts.port else ""
        return S3Location(bucket=path[0], prefix="/".join(path[1:]),
                          endpoint=f"{'https' if tls else 'http'}://{parts.hostname}{port}",
                          access_key=unquote(parts.username), secret_key=unquote(parts.password))
    if not parts.netloc:
        raise ConfigError("the URI names no bucket")
    return S3Location(bucket=parts.netloc, prefix="/".join(path))


def s3_client(service: str, location: S3Location, region: str) -> Any:
    """A boto3 client; the SDK is imported here, on first use."""
    import boto3
    from botocore.config import Config

    options: dict[str, Any] = {"signature_version": "s3v4"}
    if location.endpoint:
        options["s3"] = {"addressing_style": "path"}
    session = boto3.session.Session()
    return session.client(
        service, region_name=region or ("us-east-1" if location.endpoint else None),
        endpoint_url=location.endpoint, aws_access_key_id=location.access_key,
        aws_secret_access_key=location.secret_key,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}, **options))


def aws_message(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error"):
        error = response["Error"]
        return f"{error.get('Code', '')}: {error.get('Message', '')}".strip(": ")
    return str(exc) or type(exc).__name__


class S3BlobStore:
    signed_urls = True

    def __init__(self, location: S3Location, region: str) -> None:
        self.location = location
        self.bucket = location.bucket
        self.name = location.name
        self._region = region
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client("s3", self.location, self._region)
        return self._client

    def _object(self, key: str) -> str:
        return f"{self.location.prefix}/{key}" if self.location.prefix else key

    def key_for(self, bucket: str, name: str) -> str | None:
        return key_in_bucket(bucket=self.bucket, prefix=self.location.prefix,
                             event_bucket=bucket, name=name)

    def check(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except Exception as exc:  # botocore raises many kinds; the message is what matters
            raise ConfigError(f"cannot open S3 bucket {self.bucket!r}: {aws_message(exc)}") from exc

    def write(self, key: str, chunks: Iterable[bytes], *, md5_hex: str | None = None) -> BlobInfo:
        return upload_checked(
            chunks, md5_hex,
            lambda reader: self.client.upload_fileobj(reader, self.bucket, self._object(key)),
            lambda: self.delete(key))

    def open_read(self, key: str) -> Iterator[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._object(key))["Body"]
        except Exception as exc:
            if _missing(exc):
                raise FileNotFoundError(key) from exc
            raise
        return iter(body.iter_chunks(CHUNK))

    def stat(self, key: str) -> BlobInfo | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._object(key))
        except Exception as exc:
            if _missing(exc):
                return None
            raise
        md5 = hex_md5(head.get("ETag"))  # a multipart ETag is not an MD5: hash the bytes
        if md5 is None:
            return hash_chunks(self.open_read(key))
        return BlobInfo(size=int(head["ContentLength"]), md5_hex=md5)

    def delete(self, key: str) -> bool:
        if self.stat(key) is None:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))
        return True

    def upload_url(self, key: str, *, base_url: str, expires_in: int,
                   content_md5: str | None = None) -> tuple[str, list[str]]:
        """With `content_md5` the URL signs the Content-MD5 header: S3 takes no other bytes."""
        params = {"Bucket": self.bucket, "Key": self._object(key)}
        if content_md5:
            params["ContentMD5"] = content_md5
        url = self.client.generate_presigned_url(
            "put_object", Params=params, ExpiresIn=min(expires_in, MAX_PRESIGN))
        return url, [f"Content-MD5:{content_md5}"] if content_md5 else []

    def download_url(self, key: str, *, base_url: str, expires_in: int) -> str:
        return str(self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._object(key)},
            ExpiresIn=min(expires_in, MAX_PRESIGN)))

    # SupportsMultipart ---------------------------------------------------------------------

    def start_multipart(self, key: str, *, parts: list[int],
                        expires_in: int) -> MultipartUpload:
        name = self._object(key)
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket,
                                                        Key=name)["UploadId"]
        urls = [(number, str(self.client.generate_presigned_url(
            "upload_part", Params={"Bucket": self.bucket, "Key": name, "UploadId": upload_id,
                                   "PartNumber": number},
            ExpiresIn=min(expires_in, MAX_PRESIGN)))) for number in parts]
        return MultipartUpload(upload_id=upload_id, part_urls=urls)

    def complete_multipart(self, key: str, *, upload_id: str, parts: list[int]) -> str:
        """Completes with the parts S3 itself holds (their ETags as S3 lists them); every
        part number the client completed must be among them."""
        name = self._object(key)
        held: dict[int, str] = {}
        try:
            pages = self.client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=name, UploadId=upload_id)
            for page in pages:
                held.update((p["PartNumber"], p["ETag"]) for p in page.get("Parts", []))
        except Exception as exc:
            if "NoSuchUpload" in aws_message(exc):
                raise InvalidInput(f"no multipart upload {upload_id!r} for {key}") from exc
            raise
        missing = sorted(set(parts) - set(held))
        if missing:
            raise InvalidInput(f"part(s) {missing[:5]} of the upload were not uploaded")
        done = self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=name, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": held[n]}
                                       for n in sorted(set(parts))]})
        return str(done.get("ETag", "")).strip('"')

    def get_cors(self) -> list[CorsRule]:
        try:
            rules = self.client.get_bucket_cors(Bucket=self.bucket)["CORSRules"]
        except Exception as exc:
            if "NoSuchCORSConfiguration" in aws_message(exc):
                return []
            raise ConfigError(f"cannot read the CORS rules of {self.bucket!r}: "
                              f"{aws_message(exc)}") from exc
        return [CorsRule(origins=tuple(r.get("AllowedOrigins", [])),
                         methods=tuple(r.get("AllowedMethods", [])),
                         headers=tuple(r.get("AllowedHeaders", [])),
                         expose=tuple(r.get("ExposeHeaders", [])),
                         max_age=int(r.get("MaxAgeSeconds", 0))) for r in rules]

    def set_cors(self, rules: list[CorsRule]) -> None:
        config = {"CORSRules": [{"AllowedOrigins": list(r.origins),
                                 "AllowedMethods": list(r.methods),
                                 "AllowedHeaders": list(r.headers),
                                 "ExposeHeaders": list(r.expose),
                                 "MaxAgeSeconds": r.max_age} for r in rules]}
        try:
            self.client.put_bucket_cors(Bucket=self.bucket, CORSConfiguration=config)
        except Exception as exc:
            raise ConfigError(f"cannot set the CORS rules of {self.bucket!r}: "
                              f"{aws_message(exc)}") from exc


def _missing(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


@STORES.register("s3", sdk="boto3", extra="s3")
def open_s3(uri: str, env: BackendEnv) -> S3BlobStore:
    return S3BlobStore(parse_s3_uri(uri), env.aws_region)
