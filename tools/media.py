"""Where the asset store keeps its files beyond this machine: nowhere else (`file://`, the
default: the local folder is the store), or an S3-compatible object store (`s3://bucket/prefix?
endpoint_url=…`), for which the local folder is a read-through cache that ffmpeg reads.

Objects are named by the store's keys (`<kind>/<name>`), so any machine with the same setting
finds the same file under the same key. boto3 does the talking (signing, retries, multipart
uploads); its clients are thread-safe, so one is kept per location."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("cinechat.media")

PRESIGN_SECONDS = 7 * 24 * 3600
"""How long a presigned link to a file stays valid (the longest SigV4 allows: a week)."""


def media_location() -> str:
    """The CINECHAT_MEDIA setting: '' (the local folder) or `s3://bucket[/prefix]?…`."""
    return os.environ.get("CINECHAT_MEDIA", "").strip()


@dataclass(frozen=True)
class S3Location:
    """An `s3://bucket/prefix?endpoint_url=…&region=…&public_url=…` setting, parsed."""

    bucket: str
    prefix: str
    endpoint_url: str | None
    region: str
    public_url: str | None

    @classmethod
    def parse(cls, location: str) -> S3Location:
        """Parse the setting; a malformed one is an error naming what is missing."""
        parts = urlsplit(location)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"CINECHAT_MEDIA must be file:// or s3://bucket[/prefix]?…, not {location!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return cls(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint_url=query.get("endpoint_url") or os.environ.get("AWS_ENDPOINT_URL") or None,
            region=query.get("region") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            public_url=query.get("public_url") or None,
        )

    def object(self, key: str) -> str:
        """The object name of a store key."""
        return f"{self.prefix}/{key}" if self.prefix else key


class S3Media:
    """The files of an asset store in one bucket (under an optional prefix)."""

    def __init__(self, location: str) -> None:
        import boto3
        from botocore.config import Config

        self.where = S3Location.parse(location)
        config = Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"})
        session = boto3.session.Session()
        common: dict[str, Any] = {"region_name": self.where.region, "config": config}
        self.client = session.client("s3", endpoint_url=self.where.endpoint_url, **common)
        # links for the browser are signed for the address the browser reaches
        public = self.where.public_url or self.where.endpoint_url
        self.signer = session.client("s3", endpoint_url=public, **common) if public else self.client
        self._bucket_ready = False

    def origin(self) -> str | None:
        """The scheme://host[:port] the browser loads presigned links from (for the CSP)."""
        base = self.where.public_url or self.where.endpoint_url
        if base:
            parts = urlsplit(base)
            return f"{parts.scheme}://{parts.netloc}"
        return f"https://{self.where.bucket}.s3.{self.where.region}.amazonaws.com"

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (once per process)."""
        if self._bucket_ready:
            return
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.where.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise
            log.info("media: creating bucket %s", self.where.bucket)
            extra = (
                {"CreateBucketConfiguration": {"LocationConstraint": self.where.region}}
                if self.where.region != "us-east-1"
                else {}
            )
            self.client.create_bucket(Bucket=self.where.bucket, **extra)
        self._bucket_ready = True

    def exists(self, key: str) -> bool:
        """Whether the object of `key` is stored."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.where.bucket, Key=self.where.object(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def upload(self, local: Path, key: str) -> None:
        """Store a local file under `key` (multipart for large files)."""
        self.ensure_bucket()
        self.client.upload_file(str(local), self.where.bucket, self.where.object(key))

    def download(self, key: str, local: Path) -> bool:
        """Fetch `key` into `local` atomically; False when there is no such object."""
        from botocore.exceptions import ClientError

        local.parent.mkdir(parents=True, exist_ok=True)
        tmp = local.with_name(f".{local.name}.{os.getpid()}.{threading.get_ident()}.part")
        try:
            self.client.download_file(self.where.bucket, self.where.object(key), str(tmp))
        except ClientError as exc:
            tmp.unlink(missing_ok=True)
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        os.replace(tmp, local)
        return True

    def delete(self, key: str) -> None:
        """Remove the object of `key` (no error when it is gone)."""
        self.client.delete_object(Bucket=self.where.bucket, Key=self.where.object(key))

    def url(self, key: str, seconds: int = PRESIGN_SECONDS) -> str:
        """A presigned GET link to `key`, valid for `seconds`."""
        return str(
            self.signer.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.where.bucket, "Key": self.where.object(key)},
                ExpiresIn=seconds,
            )
        )

    def health(self) -> None:
        """Raise when the bucket cannot be reached."""
        self.ensure_bucket()


_backends: dict[str, S3Media] = {}
_backends_lock = threading.Lock()


def backend(location: str | None = None) -> S3Media | None:
    """The remote backend of a CINECHAT_MEDIA setting (None for the local folder), one per
    setting and process."""
    location = media_location() if location is None else location.strip()
    if not location or location.startswith("file:"):
        return None
    with _backends_lock:
        if location not in _backends:
            _backends[location] = S3Media(location)
        return _backends[location]
