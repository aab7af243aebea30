"""Azure Storage queue receiving Event Grid `Microsoft.Storage.BlobCreated` events.

    az://ACCOUNT/QUEUE[?endpoint=http://127.0.0.1:10001/devstoreaccount1]

The account key is AZURE_STORAGE_KEY. Storage queues have no long polling: an empty
receive waits a second and asks again, up to the wait time.
"""

from __future__ import annotations

import time
from typing import Any

from wbserver.backends import PUBLISHERS, QUEUES, BackendEnv
from wbserver.errors import ConfigError
from wbserver.ports import QueueMessage
from wbserver.queues.events import MalformedMessage, event_grid_events
from wbserver.storage.azure import azure_message, azure_target

VISIBILITY_SECONDS = 120
POLL_SECONDS = 1.0


class AzureQueue:
    def __init__(self, account: str, queue: str, account_url: str, key: str) -> None:
        self.account = account
        self.queue = queue
        self.name = f"az://{account}/{queue}"
        self._account_url = account_url
        self._key = key
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            from azure.storage.queue import QueueClient

            self._client = QueueClient(
                self._account_url, self.queue,
                credential={"account_name": self.account, "account_key": self._key})
        return self._client

    def check(self) -> None:
        try:
            self.client.get_queue_properties()
        except Exception as exc:
            raise ConfigError(f"cannot reach Azure queue {self.queue!r} of account "
                              f"{self.account!r}: {azure_message(exc)}") from exc

    def receive(self, *, max_messages: int, wait_seconds: float) -> list[QueueMessage]:
        deadline = time.monotonic() + wait_seconds
        while True:
            raw = list(self.client.receive_messages(
                max_messages=max(1, min(max_messages, 32)),
                visibility_timeout=VISIBILITY_SECONDS))
            if raw or time.monotonic() + POLL_SECONDS > deadline:
                break
            time.sleep(POLL_SECONDS)
        messages = []
        for item in raw:
            message = QueueMessage(id=item.id, events=[], receipt=item.pop_receipt)
            try:
                message.events = event_grid_events(item.content or "")
            except MalformedMessage as exc:
                message.problem = str(exc)
            messages.append(message)
        return messages

    def publish(self, body: str) -> None:
        """Send one message as text (NOTIFICATIONS_QUEUE)."""
        self.client.send_message(body)

    def ack(self, message: QueueMessage) -> None:
        self.client.delete_message(message.id, message.receipt)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


@PUBLISHERS.register("az", sdk="azure.storage.queue", extra="azure")
@QUEUES.register("az", sdk="azure.storage.queue", extra="azure")
def open_azure_queue(uri: str, env: BackendEnv) -> AzureQueue:
    account, segments, account_url = azure_target(uri, env, "queue", "az://ACCOUNT/QUEUE")
    if len(segments) != 1:
        raise ConfigError("expected az://ACCOUNT/QUEUE")
    return AzureQueue(account, segments[0], account_url, env.azure_storage_key)
