"""Prefect's `prefect.logging.configuration`: load the logging configuration (our default file,
or the one at `PREFECT_LOGGING_SETTINGS_PATH`) and apply it with `logging.config.dictConfig`."""

from __future__ import annotations

import logging
import logging.config
import os
import string
from pathlib import Path
from typing import Any

import yaml

from jupyter_orch import settings
from jupyter_orch.settings import PREFECT_LOGGING_EXTRA_LOGGERS, PREFECT_LOGGING_SETTINGS_PATH

__all__ = ["DEFAULT_LOGGING_SETTINGS_PATH", "load_logging_config", "setup_logging"]

DEFAULT_LOGGING_SETTINGS_PATH = Path(__file__).parent / "logging.yml"
ENV_PREFIX = "PREFECT_LOGGING_"

#: the configuration last applied in this process (None: not yet)
PROCESS_LOGGING_CONFIG: dict[str, Any] | None = None


#: other names Prefect's logging files use for a setting (`${PREFECT_LOGGING_SERVER_LEVEL}`)
_ALIASES = {"PREFECT_LOGGING_SERVER_LEVEL": "PREFECT_SERVER_LOGGING_LEVEL"}


def _setting_values() -> dict[str, str]:
    values = {
        name: str(value.value())
        for name, value in vars(settings).items()
        if name.startswith("PREFECT_") and isinstance(value, settings.Setting)
    }
    values.update({alias: values[name] for alias, name in _ALIASES.items() if name in values})
    return values


def _apply_env_overrides(config: dict[str, Any], path: tuple[str, ...] = ()) -> None:
    """Replace each value that a PREFECT_LOGGING_<KEYS> variable names (dots in keys as "_")."""
    for key, value in config.items():
        keys = (*path, str(key))
        if isinstance(value, dict):
            _apply_env_overrides(value, keys)
            continue
        name = ENV_PREFIX + "_".join(k.replace(".", "_").upper() for k in keys)
        as_list = isinstance(value, list)  # a list (handlers): the variable holds its items, comma-separated
        # a Prefect user's variable names our `jupyter_orch.*` loggers as `prefect.*`
        # (PREFECT_LOGGING_LOGGERS_PREFECT_EXTRA_LEVEL): both spellings are read, ours first
        for candidate in (name, name.replace("_JUPYTER_ORCH", "_PREFECT")):
            if candidate in os.environ:
                raw = os.environ[candidate]
                config[key] = [item.strip() for item in raw.split(",")] if as_list else raw
                break


def load_logging_config(path: Path) -> dict[str, Any]:
    """The configuration in the YAML file `path`, with `${PREFECT_...}` replaced by the values
    of those settings and PREFECT_LOGGING_<KEYS> environment overrides applied."""
    text = string.Template(Path(path).read_text()).safe_substitute(_setting_values())
    config = yaml.safe_load(text)
    if isinstance(config, dict):
        _apply_env_overrides(config)
    return config


def setup_logging(incremental: bool | None = None) -> dict[str, Any]:
    """Apply the logging configuration; repeated calls in a process are incremental."""
    global PROCESS_LOGGING_CONFIG
    path = Path(PREFECT_LOGGING_SETTINGS_PATH.value())
    config = load_logging_config(path if path.exists() else DEFAULT_LOGGING_SETTINGS_PATH)
    if incremental is None:  # repeated calls in a process only adjust what the first set up
        incremental = bool(PROCESS_LOGGING_CONFIG)
    config["incremental"] = incremental
    try:
        logging.config.dictConfig(config)
    except ValueError:  # a user's file may give only what it changes: read as version 1
        if "version" in config:
            raise
        logging.config.dictConfig({**config, "version": 1})
    _configure_extra_loggers(config)
    PROCESS_LOGGING_CONFIG = config
    return config


def _configure_extra_loggers(config: dict[str, Any]) -> None:
    """Give each logger named in PREFECT_LOGGING_EXTRA_LOGGERS (comma-separated) the handlers
    of `jupyter_orch.extra`; its own level and propagation stay as its library set them."""
    extra = logging.getLogger("jupyter_orch.extra")
    for name in filter(
        None, (n.strip() for n in str(PREFECT_LOGGING_EXTRA_LOGGERS.value() or "").split(","))
    ):
        logger = logging.getLogger(name)
        for handler in extra.handlers:
            if handler not in logger.handlers:
                logger.addHandler(handler)
