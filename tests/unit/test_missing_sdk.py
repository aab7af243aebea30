"""A bucket or queue whose SDK is not installed says which extra to install."""

from __future__ import annotations

import sys

import pytest

from wbserver.backends import PUBLISHERS, QUEUES, STORES, BackendEnv
from wbserver.errors import ConfigError

CASES = [
    (STORES, "s3://my-bucket/wandb", "boto3", "s3"),
    (STORES, "gs://my-bucket", "google.cloud.storage", "gcs"),
    (STORES, "az://account/container", "azure.storage.blob", "azure"),
    (QUEUES, "sqs://wandb-file-events", "boto3", "s3"),
    (QUEUES, "pubsub:/project/topic/sub", "google.cloud.pubsub_v1", "gcs"),
    (QUEUES, "az://account/queue", "azure.storage.queue", "azure"),
    (PUBLISHERS, "sqs://wandb-run-events", "boto3", "s3"),
]


@pytest.mark.parametrize(("registry", "uri", "sdk", "extra"), CASES)
def test_a_missing_sdk_names_the_pip_extra(monkeypatch, registry, uri, sdk, extra):
    monkeypatch.setitem(sys.modules, sdk, None)  # as if the package were not installed
    with pytest.raises(ConfigError) as raised:
        registry.open(uri, BackendEnv(azure_storage_key="a2V5"))
    assert f"pip install 'wbserver[{extra}]'" in raised.value.message
    assert raised.value.message.startswith(f"{registry.setting}=")


def test_an_installed_sdk_is_not_in_the_way():
    store = STORES.open("s3://my-bucket/wandb", BackendEnv())
    assert store is not None
