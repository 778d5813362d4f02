"""Prometheus exposition shared by the node's and the proxy's REST API: metric families built
at scrape time from live state (``collect``), and the text format.

Names follow Prometheus conventions (counters get ``_total`` from the client library, base
units are bytes and seconds).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def gauge(name: str, doc: str, value: float | None = None,
          labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value, labels=labels)


def counter(name: str, doc: str, value: float | None = None,
            labels: list[str] | None = None) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value, labels=labels)


def error_families(errors: dict[str, int]) -> Metric:
    family = counter("pgha_errors", "Errors sent to clients, by SQLSTATE", labels=["sqlstate"])
    for sqlstate, count in sorted(errors.items()):
        family.add_metric([sqlstate], count)
    return family


def exposition(reg: CollectorRegistry) -> bytes:
    return generate_latest(reg)
