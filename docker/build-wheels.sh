#!/usr/bin/env bash
# Build the wheels the pgha image installs (the Dockerfile's build has no network access):
# pgha itself and its runtime dependencies, for CPython 3.11 on Linux.
#
#   docker/build-wheels.sh [OUT_DIR [SOURCE_DIR]]     # defaults: wheelhouse/ and the repo
#
# pgha's wheel is built from a copy of the source (no stale build/ directory can leak into it)
# with fixed timestamps, so the same source gives byte-identical wheels (the tests tag images
# by a hash of them). The dependencies are cp311 manylinux wheels from PyPI, fine for both
# python:3.11-slim and Debian bookworm's python3. When this host's Python is not CPython 3.11,
# they are downloaded for that target instead of built for the host.
# Environment: PYTHON (default python3).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/wheelhouse}"
src="${2:-$repo}"
PYTHON="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# 1980-01-01, the earliest time a zip (wheel) can hold: reproducible wheels.
export SOURCE_DATE_EPOCH=315532800

say() { printf 'build-wheels: %s\n' "$*" >&2; }

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out"/pgha-*.whl

copy="$(mktemp -d "${TMPDIR:-/tmp}/pgha-wheel-src.XXXXXX")"
trap 'rm -rf "$copy"' EXIT
# Only what the build reads: no caches, no data directories, no build/ left by an earlier build.
tar -C "$src" --exclude=__pycache__ --exclude='*.egg-info' -c pyproject.toml README.md src \
    | tar -C "$copy" -x
find "$copy" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

started=$(date +%s)
if "$PYTHON" -c 'import sys; sys.exit(not (sys.implementation.name == "cpython" and
                                           sys.version_info[:2] == (3, 11)))'; then
    say "pip wheel --wheel-dir $out $src"
    "$PYTHON" -m pip wheel -q --wheel-dir "$out" "$copy"
else
    arch="$(uname -m)"
    say "$("$PYTHON" --version) is not CPython 3.11: downloading cp311 $arch wheels"
    "$PYTHON" -m pip wheel -q --no-deps --wheel-dir "$out" "$copy"
    platforms=()
    for minor in $(seq 17 36); do platforms+=(--platform "manylinux_2_${minor}_$arch"); done
    "$PYTHON" -m pip download -q --dest "$out" --only-binary=:all: --python-version 3.11 \
        --implementation cp --abi cp311 --abi abi3 --abi none \
        --platform "manylinux2014_$arch" "${platforms[@]}" "$out"/pgha-*.whl
fi
say "$(ls "$out" | wc -l) wheels in $out ($(( $(date +%s) - started )) s)"
