"""The package layering of docs/architecture.md, checked by walking every module's imports.

Layers, inner to outer: wire, routing, storage, replication, net, proxy, server, up, status,
config, cli. A module may import its own package and inner ones only, also under
``if TYPE_CHECKING`` (the walk sees every import statement); wire and routing (pure decisions
and protocol logic) import neither asyncio nor socket. ``net`` (the networking the node and the
proxy share) therefore imports neither ``proxy`` nor ``server``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "pgha"
LAYERS = ["wire", "routing", "storage", "replication", "net", "proxy", "server", "up", "status",
          "config", "cli"]
PURE = {"wire", "routing"}
NO_IO_MODULES = {"asyncio", "socket", "selectors", "uvloop"}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "pgha" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in LAYERS else None


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append(node.module)
    return out


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_module_imports_only_inner_layers(path: Path) -> None:
    rel = path.relative_to(SRC)
    top_level = ("cli", "up", "status", "config")
    own = rel.parts[0].removesuffix(".py") if len(rel.parts) > 1 or rel.stem in top_level \
        else None
    if own not in LAYERS:
        return  # pgha/__init__.py, __main__.py
    for imported in _imports(path):
        layer = _layer(imported)
        if layer is not None:
            assert LAYERS.index(layer) <= LAYERS.index(own), (
                f"{rel} (layer {own}) imports {imported} (outer layer {layer})"
            )
        if own in PURE:
            assert imported.split(".")[0] not in NO_IO_MODULES, (
                f"{rel} is in a pure layer but imports {imported}"
            )


def test_the_walk_sees_the_packages() -> None:
    # Guards the test above against silently walking nothing.
    seen = {p.relative_to(SRC).parts[0] for p in _modules()}
    assert {"wire", "storage", "server", "proxy", "net", "up.py"} <= seen
