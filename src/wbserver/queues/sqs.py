"""Amazon SQS receiving S3 event notifications (directly or through SNS).

    sqs://QUEUE-NAME                                        AWS_REGION, the standard chain
    sqs://ACCESS:SECRET@HOST[:PORT]/QUEUE-NAME[?tls=true]   an SQS-compatible endpoint
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from wbserver.backends import PUBLISHERS, QUEUES, BackendEnv
from wbserver.errors import ConfigError
from wbserver.ports import QueueMessage
from wbserver.queues.events import MalformedMessage, s3_events
from wbserver.storage.s3 import S3Location, aws_message, parse_s3_uri, s3_client

VISIBILITY_SECONDS = 120  # a message another process took comes back after this


class SqsQueue:
    def __init__(self, queue: str, location: S3Location, region: str) -> None:
        self.queue = queue
        self.name = f"sqs://{queue}"
        self._location = location
        self._region = region
        self._client: Any = None
        self._url: str | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = s3_client("sqs", self._location, self._region)
        return self._client

    @property
    def url(self) -> str:
        if self._url is None:
            self._url = str(self.client.get_queue_url(QueueName=self.queue)["QueueUrl"])
        return self._url

    def check(self) -> None:
        try:
            self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        except Exception as exc:
            self._url = None
            raise ConfigError(f"cannot reach SQS queue {self.queue!r}: {aws_message(exc)}") from exc

    def receive(self, *, max_messages: int, wait_seconds: float) -> list[QueueMessage]:
        answer = self.client.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=max(1, min(max_messages, 10)),
            WaitTimeSeconds=int(min(wait_seconds, 20)), VisibilityTimeout=VISIBILITY_SECONDS)
        messages = []
        for raw in answer.get("Messages", []):
            message = QueueMessage(id=raw["MessageId"], events=[], receipt=raw["ReceiptHandle"])
            try:
                message.events = s3_events(raw.get("Body", ""))
            except MalformedMessage as exc:
                message.problem = str(exc)
            messages.append(message)
        return messages

    def publish(self, body: str) -> None:
        """Send one message (NOTIFICATIONS_QUEUE)."""
        self.client.send_message(QueueUrl=self.url, MessageBody=body)

    def ack(self, message: QueueMessage) -> None:
        self.client.delete_message(QueueUrl=self.url, ReceiptHandle=message.receipt)

    def close(self) -> None:
        self._client = None


@PUBLISHERS.register("sqs", sdk="boto3", extra="s3")
@QUEUES.register("sqs", sdk="boto3", extra="s3")
def open_sqs(uri: str, env: BackendEnv) -> SqsQueue:
    parts = urlsplit(uri)
    if parts.username is not None:  # the S3-compatible form: the path's first segment
        location = parse_s3_uri("s3" + uri[3:])
        if location.prefix:
            raise ConfigError("a queue name has no '/'")
        return SqsQueue(location.bucket, location, env.aws_region)
    if not parts.netloc or parts.path.strip("/"):
        raise ConfigError("expected sqs://QUEUE-NAME")
    return SqsQueue(parts.netloc, S3Location(bucket="", prefix=""), env.aws_region)
