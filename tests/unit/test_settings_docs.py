import builtins
from pathlib import Path
from typing import Any

import pytest

from wbserver.config import SETTINGS, database_urls, load_settings, settings_table
from wbserver.errors import ConfigError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operators.md"


def test_docs_show_the_generated_settings_table():
    text = DOCS.read_text()
    assert settings_table() in text, "regenerate it: wbserver settings docs"
    for setting in SETTINGS:
        assert f"`{setting.env}`" in text, f"{setting.env} is missing from docs/operators.md"


def test_mysql_url_is_checked_and_converted():
    # the C driver where it is installed (the test dependencies install it), PyMySQL pinned
    assert load_settings({"MYSQL": "mysql://u:p@db:3306/wb"}).database_url == \
        "mysql+mysqldb://u:p@db:3306/wb?charset=utf8mb4"
    assert load_settings({"MYSQL": "mysql+pymysql://u:p@db:3306/wb"}).database_url == \
        "mysql+pymysql://u:p@db:3306/wb?charset=utf8mb4"
    with pytest.raises(ConfigError, match="MYSQL"):
        load_settings({"MYSQL": "postgres://u@db/wb"})
    with pytest.raises(ConfigError, match="MYSQL"):
        load_settings({"MYSQL": "mysql://u@db:3306"})


def test_postgres_url_is_checked_and_converted_and_excludes_mysql():
    assert load_settings({"POSTGRES": "postgresql://u:p@db:5432/wb"}).database_url == \
        "postgresql+psycopg://u:p@db:5432/wb"
    assert load_settings({"POSTGRES": "postgres://u@db/wb?sslmode=require"}).database_url == \
        "postgresql+psycopg://u@db/wb?sslmode=require"
    assert load_settings({"POSTGRES": "postgresql://u@db/wb"}).server_database == "POSTGRES"
    with pytest.raises(ConfigError, match="POSTGRES") as bad:
        load_settings({"POSTGRES": "mysql://u:hunter2@db/wb"})
    assert "hunter2" not in str(bad.value)
    with pytest.raises(ConfigError, match="POSTGRES names no database"):
        load_settings({"POSTGRES": "postgresql://u@db:5432"})
    with pytest.raises(ConfigError, match="MYSQL and POSTGRES are both set"):
        load_settings({"MYSQL": "mysql://u@db/wb", "POSTGRES": "postgresql://u@db/wb"})


def test_mysql_without_the_c_driver_falls_back_to_pymysql(monkeypatch: pytest.MonkeyPatch):
    """Without mysqlclient (or its library) mysql:// takes PyMySQL; asking for mysqlclient
    by name says what to install."""
    real_import = builtins.__import__

    def no_mysqldb(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "MySQLdb":
            raise ImportError("libmariadb.so.3: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    database_urls.mysql_driver.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_mysqldb)
    try:
        assert load_settings({"MYSQL": "mysql://u:p@db:3306/wb"}).database_url == \
            "mysql+pymysql://u:p@db:3306/wb?charset=utf8mb4"
        with pytest.raises(ConfigError, match=r"MYSQL.*mysqlclient.*wbserver\[mysql\]"):
            load_settings({"MYSQL": "mysql+mysqldb://u:p@db:3306/wb"})
    finally:
        monkeypatch.undo()
        database_urls.mysql_driver.cache_clear()
    assert database_urls.mysql_driver() == "mysqldb"


def test_environment_then_override_then_default():
    assert load_settings({}).heartbeat_timeout == 300.0
    assert load_settings({"WBSERVER_HEARTBEAT_TIMEOUT": "12"}).heartbeat_timeout == 12.0
    settings = load_settings({"WBSERVER_DATA_DIR": "/x"}, overrides={"data_dir": "/y"})
    assert settings.data_dir == "/y"


def test_bad_values_name_the_variable():
    with pytest.raises(ConfigError, match="WBSERVER_HEARTBEAT_TIMEOUT"):
        load_settings({"WBSERVER_HEARTBEAT_TIMEOUT": "-1"})


def test_slack_credentials_must_look_like_slacks():
    ok = load_settings({"SLACK_CLIENT_ID": "1234.5678",
                        "SLACK_SECRET": "0123456789abcdef0123456789abcdef"})
    assert ok.slack_client_id == "1234.5678"
    with pytest.raises(ConfigError, match="SLACK_CLIENT_ID"):
        load_settings({"SLACK_CLIENT_ID": "my-app"})
    with pytest.raises(ConfigError, match="SLACK_SECRET"):
        load_settings({"SLACK_SECRET": "hunter2"})


def test_every_registered_setting_is_a_settings_field_with_the_same_default():
    from dataclasses import MISSING, fields

    from wbserver.config import Settings

    by_name = {f.name: f for f in fields(Settings)}
    for setting in SETTINGS:
        assert setting.name in by_name, f"{setting.name} has no field on Settings"
        field = by_name[setting.name]
        if setting.default is not None and field.default is not MISSING:
            assert field.default == setting.default, setting.name


def test_storage_regions_are_a_checked_list_of_names():
    assert load_settings({}).storage_region_names == ()
    found = load_settings({"WBSERVER_STORAGE_REGIONS": " minio-local, eu-west.1 ,minio-local,"})
    assert found.storage_regions == "minio-local,eu-west.1"
    assert found.storage_region_names == ("minio-local", "eu-west.1")
    with pytest.raises(ConfigError, match="WBSERVER_STORAGE_REGIONS.*'us east' is not a region"):
        load_settings({"WBSERVER_STORAGE_REGIONS": "minio-local,us east"})
