from pathlib import Path

import pytest

from wbserver.config import SETTINGS, load_settings
from wbserver.errors import ConfigError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operators.md"


def test_every_setting_is_documented():
    text = DOCS.read_text()
    for setting in SETTINGS:
        assert f"`{setting.env}`" in text, f"{setting.env} is missing from docs/operators.md"


def test_environment_then_override_then_default():
    assert load_settings({}).heartbeat_timeout == 300.0
    assert load_settings({"WBSERVER_HEARTBEAT_TIMEOUT": "12"}).heartbeat_timeout == 12.0
    settings = load_settings({"WBSERVER_DATA_DIR": "/x"}, overrides={"data_dir": "/y"})
    assert settings.data_dir == "/y"


def test_bad_values_name_the_variable():
    with pytest.raises(ConfigError, match="WBSERVER_HEARTBEAT_TIMEOUT"):
        load_settings({"WBSERVER_HEARTBEAT_TIMEOUT": "-1"})
