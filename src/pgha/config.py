"""Settings of ``pgha server`` and ``pgha proxy`` from three places, in this order of
precedence: command-line flags, then environment variables, then a TOML config file
(``--config FILE`` or ``PGHA_CONFIG``), then the built-in defaults.

Every setting has one name, its long flag: ``--sync-mode`` is ``PGHA_SYNC_MODE`` in the
environment and ``sync_mode`` (or ``sync-mode``) in the file. Repeatable flags (``--node``,
``--user``, ``--ha-primary``, ``--database``) take a TOML list, or a comma-separated
environment value; switches (``--no-fsync``) take a TOML boolean or ``1/true/yes/on`` and
``0/false/no/off``. Values from the environment and the file go through the same checks as
flags, and any mistake ends the start with one line naming the setting and where it came from.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "PGHA_"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class ConfigError(Exception):
    """A setting that cannot be used; the message names it and where it came from."""


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """The parser's settings by name (long flag without dashes, with underscores)."""
    out = {}
    for action in parser._actions:  # argparse has no public list of its actions
        longs = [o for o in action.option_strings if o.startswith("--")]
        if longs and action.dest not in ("help", "version", "config"):
            out[longs[0][2:].replace("-", "_")] = action
    return out


def load_file(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"--config {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"--config {path}: not valid TOML: {exc}") from None
    return {key.replace("-", "_"): value for key, value in data.items()}


def defaults(parser: argparse.ArgumentParser, file_values: Mapping[str, Any], source: str,
             environ: Mapping[str, str]) -> dict[str, Any]:
    """The parser's defaults overridden by the file, then by the environment: a dict for
    ``parser.set_defaults`` (flags on the command line still win)."""
    options = _options(parser)
    out: dict[str, Any] = {}
    for key, value in file_values.items():
        action = options.get(key)
        if action is None:
            raise ConfigError(f"{source}: unknown setting {key!r}")
        out[action.dest] = _convert(action, value, f"{source}: {key}", from_env=False)
    for key, action in options.items():
        name = ENV_PREFIX + key.upper()
        if name in environ:
            out[action.dest] = _convert(action, environ[name], name, from_env=True)
    return out


def _convert(action: argparse.Action, value: Any, where: str, *, from_env: bool) -> Any:
    if action.nargs == 0:  # a switch: store_true / store_false
        if isinstance(value, bool):
            flag = value
        elif str(value).strip().lower() in _TRUE:
            flag = True
        elif str(value).strip().lower() in _FALSE:
            flag = False
        else:
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return flag if action.const is True else not flag
    repeated = isinstance(action, argparse._AppendAction)
    if repeated:
        if isinstance(value, list):
            items = value
        elif from_env or isinstance(value, str):
            items = [v.strip() for v in str(value).split(",") if v.strip()]
        else:
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_one(action, item, where) for item in items]
    if isinstance(value, list | dict):
        raise ConfigError(f"{where}: expected one value, got {value!r}")
    return _one(action, value, where)


def _one(action: argparse.Action, value: Any, where: str) -> Any:
    text = value if isinstance(value, str) else str(value).lower() \
        if isinstance(value, bool) else str(value)
    try:
        converted = action.type(text) if callable(action.type) else text
    except (argparse.ArgumentTypeError, ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if action.choices is not None and converted not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise ConfigError(f"{where}: invalid choice {value!r} (choose from {choices})")
    return converted


def apply(parser: argparse.ArgumentParser, argv: list[str] | None,
          environ: Mapping[str, str] = os.environ) -> dict[str, list[Any]]:
    """Set ``parser``'s defaults from the config file and the environment. The config file is
    ``--config FILE`` if given in ``argv``, else ``PGHA_CONFIG``. Returns the values of
    repeatable settings, for the caller to use when the command line gives none (argparse
    would add the command line's to them)."""
    probe = argparse.ArgumentParser(add_help=False)
    probe.add_argument("--config", type=Path, default=None)
    known, _ = probe.parse_known_args(argv)
    path = known.config or (Path(environ["PGHA_CONFIG"]) if environ.get("PGHA_CONFIG")
                            else None)
    values = load_file(path) if path is not None else {}
    source = f"--config {path}" if known.config else f"PGHA_CONFIG {path}"
    found = defaults(parser, values, source, environ)
    repeated = {a.dest for a in _options(parser).values()
                if isinstance(a, argparse._AppendAction)}
    parser.set_defaults(**{k: v for k, v in found.items() if k not in repeated})
    return {k: v for k, v in found.items() if k in repeated}
