"""Lint and type checks, as part of the test suite (so CI runs them with the README command).

ruff covers the whole tree. mypy --strict covers the modules that are fully typed today; the
list grows as modules are brought to strict typing (pyproject.toml [tool.mypy] files).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_check_is_clean() -> None:
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]' installs it)")
    result = _run("ruff", "check", "src", "tests", "benchmarks", "tools")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_typed_modules() -> None:
    pytest.importorskip("mypy")
    result = _run(sys.executable, "-m", "mypy")  # files and flags from pyproject.toml
    assert result.returncode == 0, result.stdout + result.stderr
