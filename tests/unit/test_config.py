"""Settings from a TOML file and the environment (``pgha.config``), below the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pgha import cli, config


def _parse(argv: list[str], env: dict[str, str]) -> Any:
    parser = cli.build_parser()
    command = argv[0]
    repeated = config.apply(cli._subparser(parser, command), argv[1:], env)
    args = parser.parse_args(argv)
    for dest, values in repeated.items():
        if not getattr(args, dest):
            setattr(args, dest, values)
    return args


def test_flags_beat_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    path = tmp_path / "pgha.toml"
    path.write_text('data = "/srv/pgha"\nsync-mode = "quorum"\nmax_connections = 10\n'
                    'ha_primary = ["a:1", "b:2"]\nno_fsync = true\nelection_timeout = 2\n')
    args = _parse(["server", "--config", str(path)], {"PGHA_MAX_CONNECTIONS": "20"})
    assert args.data == Path("/srv/pgha") and args.sync_mode == "quorum"
    assert args.max_connections == 20 and args.no_fsync is True
    assert args.ha_primary == ["a:1", "b:2"] and args.election_timeout == 2.0
    args = _parse(["server", "--config", str(path), "--max-connections", "30",
                   "--ha-primary", "c:3"], {"PGHA_MAX_CONNECTIONS": "20"})
    assert args.max_connections == 30
    assert args.ha_primary == ["c:3"]  # replaced, not added to


def test_the_environment_alone_and_pgha_config(tmp_path: Path) -> None:
    path = tmp_path / "proxy.toml"
    path.write_text('lb = "random"\n')
    args = _parse(["proxy"], {"PGHA_NODE": "n1:5432, n2:5432@3", "PGHA_CONFIG": str(path),
                              "PGHA_POOL_MODE": "transaction", "PGHA_HTTP_BIND": "0.0.0.0:8008"})
    assert args.node == [("n1", 5432, 1), ("n2", 5432, 3)]
    assert args.lb == "random" and args.pool_mode == "transaction"
    assert args.http_bind == ("0.0.0.0", 8008)


@pytest.mark.parametrize(("text", "env", "message"), [
    ('colour = "blue"', {}, "unknown setting 'colour'"),
    ("max_connections = -1", {}, "max_connections: expected a positive integer"),
    ('sync_mode = "often"', {}, "sync_mode: invalid choice 'often'"),
    ("node = 5", {}, "unknown setting 'node'"),  # a proxy setting, in a server's file
    ('ha_primary = {a = 1}', {}, "ha_primary: expected a list"),
    ('listen = ["a:1"]', {}, "listen: expected one value"),
    ("no_fsync = 3", {}, "no_fsync: expected true or false"),
    ("this is not toml", {}, "not valid TOML"),
    ("", {"PGHA_LISTEN": "nohost"}, "PGHA_LISTEN: expected HOST:PORT"),
    ("", {"PGHA_LOG_LEVEL": "loud"}, "PGHA_LOG_LEVEL: invalid log level 'loud'"),
])
def test_mistakes_name_the_setting(tmp_path: Path, text: str, env: dict[str, str],
                                   message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text + "\n")
    with pytest.raises(config.ConfigError, match=message):
        _parse(["server", "--config", str(path)], env)


def test_unrelated_environment_variables_are_ignored() -> None:
    args = _parse(["server", "--data", "d"], {"PGHA_REQUIRE_POSTGRES": "1", "PGHA_X": "y"})
    assert args.max_connections == 200
