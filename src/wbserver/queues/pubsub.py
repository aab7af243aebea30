"""Google Cloud Pub/Sub pull subscription receiving Cloud Storage notifications.

    pubsub:/PROJECT/TOPIC/SUBSCRIPTION[?endpoint=127.0.0.1:8085]

Credentials are Application Default Credentials; `endpoint` is for the Pub/Sub emulator.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from wbserver.backends import PUBLISHERS, QUEUES, BackendEnv
from wbserver.errors import ConfigError
from wbserver.ports import QueueMessage
from wbserver.queues.events import MalformedMessage, gcs_events

ACK_DEADLINE = 120


class PubSubQueue:
    def __init__(self, project: str, topic: str, subscription: str,
                 endpoint: str | None) -> None:
        self.project, self.topic, self.subscription = project, topic, subscription
        self.name = f"pubsub:/{project}/{topic}/{subscription}"
        self.endpoint = endpoint
        self._client: Any = None

    @property
    def path(self) -> str:
        return f"projects/{self.project}/subscriptions/{self.subscription}"

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _pubsub_client("subscriber", self.endpoint)
        return self._client

    def check(self) -> None:
        try:
            self.client.get_subscription(request={"subscription": self.path}, timeout=15)
        except Exception as exc:
            raise ConfigError(f"cannot reach Pub/Sub subscription {self.path}: "
                              f"{getattr(exc, 'message', None) or exc}") from exc

    def receive(self, *, max_messages: int, wait_seconds: float) -> list[QueueMessage]:
        from google.api_core.exceptions import DeadlineExceeded

        try:
            answer = self.client.pull(
                request={"subscription": self.path, "max_messages": max(1, max_messages)},
                timeout=max(wait_seconds, 1.0), retry=None)
        except DeadlineExceeded:
            return []
        messages = []
        for received in answer.received_messages:
            pubsub_message = received.message
            message = QueueMessage(id=pubsub_message.message_id, events=[],
                                   receipt=received.ack_id)
            try:
                message.events = gcs_events(dict(pubsub_message.attributes),
                                            bytes(pubsub_message.data))
            except MalformedMessage as exc:
                message.problem = str(exc)
            messages.append(message)
        return messages

    def ack(self, message: QueueMessage) -> None:
        self.client.acknowledge(request={"subscription": self.path, "ack_ids": [message.receipt]})

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _pubsub_client(kind: str, endpoint: str | None) -> Any:
    """A Pub/Sub subscriber or publisher client; with `endpoint`, an insecure channel to the
    emulator and anonymous credentials."""
    from google.cloud import pubsub_v1

    client_class = (pubsub_v1.SubscriberClient if kind == "subscriber"
                    else pubsub_v1.PublisherClient)
    if not endpoint:
        return client_class()
    import grpc
    from google.auth.credentials import AnonymousCredentials
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
    from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

    transport_class = SubscriberGrpcTransport if kind == "subscriber" else PublisherGrpcTransport
    transport = transport_class(channel=grpc.insecure_channel(endpoint),
                                credentials=AnonymousCredentials())
    return client_class(transport=transport)


def _parse(uri: str, shape: str) -> tuple[list[str], str | None]:
    """The path segments of a pubsub:/ URI shaped like `shape`, and its emulator endpoint."""
    parts = urlsplit(uri)
    segments = [p for p in parts.path.split("/") if p]
    if parts.netloc or len(segments) != shape.count("/"):
        raise ConfigError(f"expected pubsub:{shape}")
    return segments, parse_qs(parts.query).get("endpoint", [None])[0]


@QUEUES.register("pubsub", sdk="google.cloud.pubsub_v1", extra="gcs")
def open_pubsub(uri: str, env: BackendEnv) -> PubSubQueue:
    (project, topic, subscription), endpoint = _parse(uri, "/PROJECT/TOPIC/SUBSCRIPTION")
    return PubSubQueue(project, topic, subscription, endpoint=endpoint)


class PubSubPublisher:
    """Publishes run events to a Pub/Sub topic (NOTIFICATIONS_QUEUE=pubsub:/PROJECT/TOPIC)."""

    def __init__(self, project: str, topic: str, endpoint: str | None) -> None:
        self.project, self.topic, self.endpoint = project, topic, endpoint
        self.name = f"pubsub:/{project}/{topic}"
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _pubsub_client("publisher", self.endpoint)
        return self._client

    def publish(self, body: str) -> None:
        topic = f"projects/{self.project}/topics/{self.topic}"
        self.client.publish(topic, body.encode("utf-8")).result(timeout=30)

    def check(self) -> None:
        try:
            self.client.get_topic(request={"topic": f"projects/{self.project}/topics/{self.topic}"},
                                  timeout=15)
        except Exception as exc:
            raise ConfigError(f"cannot reach Pub/Sub topic {self.topic!r}: "
                              f"{getattr(exc, 'message', None) or exc}") from exc

    def close(self) -> None:
        self._client = None


@PUBLISHERS.register("pubsub", sdk="google.cloud.pubsub_v1", extra="gcs")
def open_pubsub_publisher(uri: str, env: BackendEnv) -> PubSubPublisher:
    (project, topic), endpoint = _parse(uri, "/PROJECT/TOPIC")
    return PubSubPublisher(project, topic, endpoint=endpoint)
