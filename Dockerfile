# pgha in a container: `pgha server` (a storage node) or `pgha proxy`, as the command says.
#
# Built from wheels made on the host, with no network access during the build:
#
#   docker/build-wheels.sh                    # pgha and its dependencies into wheelhouse/
#   docker build -t pgha .                    # on the official python:3.11-slim
#   docker/build-base.sh                      # or, with no registry: a debootstrapped base
#   docker build --build-arg BASE=pgha-base:bookworm -t pgha .
#
# pgha goes into a virtual environment (/opt/pgha), so the same steps work on the official
# Python image and on Debian's own python3 (where PEP 668 forbids pip outside a venv).
# Runs as the unprivileged user pgha (uid 5432); data in /data (a volume); ports: 5432 clients,
# 5433 replication (--ha-bind), 8008 HTTP API (--http-bind). See docker-compose.yml.

ARG BASE=python:3.11-slim

FROM ${BASE} AS build
# Lets the tests (and anyone) prune this stage's untagged image: `docker image prune
# --filter label=org.pgha.stage=build`.
LABEL org.pgha.stage=build
# The directory of the build context holding the wheels (pgha's and its dependencies').
ARG WHEELS=wheelhouse
COPY ${WHEELS}/ /tmp/wheels/
RUN python3 -m venv /opt/pgha \
 && /opt/pgha/bin/python -m pip install --no-index --find-links /tmp/wheels \
        --no-cache-dir --disable-pip-version-check --no-compile pgha \
 && /opt/pgha/bin/python -m pip uninstall -y --disable-pip-version-check pip setuptools \
 && /opt/pgha/bin/python -m compileall -q /opt/pgha/lib \
 && /opt/pgha/bin/pgha --version

FROM ${BASE}
RUN groupadd --system --gid 5432 pgha \
 && useradd --system --uid 5432 --gid pgha --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin pgha \
 && mkdir -p /data \
 && chown pgha:pgha /data
COPY --from=build /opt/pgha /opt/pgha
ENV PATH=/opt/pgha/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER pgha
WORKDIR /data
VOLUME ["/data"]
EXPOSE 5432 5433 8008
ENTRYPOINT ["pgha"]
CMD ["--help"]
