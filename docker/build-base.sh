#!/usr/bin/env bash
# Build a local Debian bookworm base image for the pgha image without any container registry:
# debootstrap a minimal root file system from the Debian mirror, then `docker import` it.
#
#   docker/build-base.sh            # builds pgha-base:bookworm unless it already exists
#   docker/build-base.sh --force    # builds it again
#
# The image holds Debian's python3 (3.11 on bookworm) with venv and pip, and CA certificates;
# the pgha Dockerfile builds on it with `--build-arg BASE=pgha-base:bookworm`. Needs root
# (debootstrap) and installs debootstrap with apt-get when it is missing.
# Environment: PGHA_BASE_IMAGE (tag, default pgha-base:bookworm), PGHA_DEBIAN_MIRROR
# (default http://deb.debian.org/debian).
set -euo pipefail

IMAGE="${PGHA_BASE_IMAGE:-pgha-base:bookworm}"
SUITE=bookworm
MIRROR="${PGHA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
PACKAGES=python3,python3-venv,python3-pip,ca-certificates

say() { printf 'build-base: %s\n' "$*" >&2; }

force=0
case "${1:-}" in
    --force|-f) force=1 ;;
    "") ;;
    *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

if [ "$force" -eq 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
    say "$IMAGE already exists: reusing it (--force builds it again)"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    say "debootstrap needs root: run this as root (or with sudo)"
    exit 1
fi

if ! command -v debootstrap >/dev/null 2>&1; then
    say "installing debootstrap with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends debootstrap </dev/null
fi

root="$(mktemp -d "${TMPDIR:-/var/tmp}/pgha-base.XXXXXX")"
cleanup() { rm -rf --one-file-system "$root"; }
trap cleanup EXIT

started=$(date +%s)
say "debootstrap --variant=minbase --include=$PACKAGES $SUITE $root $MIRROR"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$MIRROR" \
    >"$root.log" 2>&1 || { tail -n 40 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

say "trimming apt caches, package lists, documentation and logs"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
       "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/* "$root"/var/tmp/* \
       "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
# Keep the copyright files (the licences of what the image ships), drop the rest of the docs.
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
find "$root/usr/lib/python3" "$root/usr/lib/python3.11" -name __pycache__ -type d \
    -prune -exec rm -rf {} + 2>/dev/null || true
# apt inside the image: no recommends, no caches (anyone extending the image).
mkdir -p "$root/etc/apt/apt.conf.d"
cat >"$root/etc/apt/apt.conf.d/90pgha-slim" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
CONF

say "docker import -> $IMAGE"
tar --numeric-owner -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase --include=$PACKAGES $SUITE" \
    - "$IMAGE" >/dev/null
say "built $IMAGE in $(( $(date +%s) - started )) s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
