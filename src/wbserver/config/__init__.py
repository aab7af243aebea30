"""Configuration: the only package that reads the environment."""

from wbserver.config.settings import SETTINGS, Setting, Settings, load_settings, settings_table

__all__ = ["SETTINGS", "Setting", "Settings", "load_settings", "settings_table"]
