"""The lock-free request metrics expose exactly what prometheus_client's Counter and Histogram would."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from app.loop_metrics import LoopCounter, RequestMetrics

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# (method, route, status, seconds): on bucket bounds, between them, past the last, repeated series
REQUESTS = [
    ("GET", "/exercises", 200, 0.0004),
    ("GET", "/exercises", 200, 0.0005),
    ("HEAD", "/exercises/{slug}", 200, 0.001),
    ("GET", "/exercises", 304, 0.00251),
    ("GET", "<unmatched>", 404, 3.0),
    ("POST", 'odd "route"\\', 500, 2.5),
    ("GET", "/exercises", 200, 0.7),
]
ROUTES = ["/exercises", "/exercises/{slug}", "/exercises", "/workouts"]


def _ours() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    requests = RequestMetrics(("http_requests", "Requests."), ("http_seconds", "Latency."), BUCKETS, registry)
    served = LoopCounter("served", "Served.", ["route"], registry)
    for method, route, status, seconds in REQUESTS:
        requests.count(method, route, status, seconds)
    for route in ROUTES:
        served.inc(route)
    return registry


def _theirs() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=True)
    requests = Counter("http_requests", "Requests.", ["method", "route", "status"], registry=registry)
    latency = Histogram("http_seconds", "Latency.", ["method", "route", "status"], buckets=BUCKETS, registry=registry)
    served = Counter("served", "Served.", ["route"], registry=registry)
    for method, route, status, seconds in REQUESTS:
        requests.labels(method, route, str(status)).inc()
        latency.labels(method, route, str(status)).observe(seconds)
    for route in ROUTES:
        served.labels(route).inc()
    return registry


def _without_times(text: bytes) -> str:
    return re.sub(r"^(\w+_created(\{.*\})?) \S+$", r"\1 T", text.decode(), flags=re.MULTILINE)


@pytest.mark.parametrize("exposition", [generate_latest, generate_openmetrics])
def test_the_same_text_as_prometheus_client(exposition: object) -> None:
    ours, theirs = exposition(_ours()), exposition(_theirs())  # type: ignore[operator]
    assert b"_created" in theirs and "http_seconds_bucket" in ours.decode()
    assert _without_times(ours) == _without_times(theirs)


def test_the_same_samples_for_get_sample_value() -> None:
    labels = {"method": "GET", "route": "/exercises", "status": "200"}
    for name, extra in [("http_requests_total", {}), ("http_seconds_count", {}), ("http_seconds_sum", {}),
                        ("http_seconds_bucket", {"le": "0.0005"}), ("http_seconds_bucket", {"le": "+Inf"})]:
        expected = _theirs().get_sample_value(name, {**labels, **extra})
        assert expected is not None and _ours().get_sample_value(name, {**labels, **extra}) == expected
    assert _ours().get_sample_value("served_total", {"route": "/exercises"}) == 2.0


def test_a_name_taken_twice_is_refused() -> None:
    registry = CollectorRegistry(auto_describe=True)
    Counter("http_requests", "Requests.", registry=registry)
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        RequestMetrics(("http_requests", "Requests."), ("http_seconds", "Latency."), BUCKETS, registry)
