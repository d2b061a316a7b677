"""Per-request Prometheus metrics counted without locks, for the event loop's own thread.

prometheus_client's ``Counter`` and ``Histogram`` take a lock for every value they change: three a
request for the request count and latency, one more for the fast path's count (about 4 us of a 40 us
cached read). These are changed only where a request passes through on the event loop (the
outermost middleware, the fast path), and read there too (``GET /metrics`` is an async route): no
other thread changes them, so plain numbers do. They are exposed through the app's registry as
prometheus_client's own would be: the same names, help, labels, buckets and samples, ``_created``
included, in the same order. Counters that routes in worker threads change stay prometheus_client's.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence

from prometheus_client import CollectorRegistry, metrics
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import INF, floatToGoString

_le: Callable[[float], str] = floatToGoString  # (a bucket's bound as prometheus_client writes it; untyped there)


def _created() -> bool:
    # (prometheus_client's own switch: PROMETHEUS_DISABLE_CREATED_SERIES, or disable_created_metrics())
    return bool(getattr(metrics, "_use_created", True))


class LoopCounter(Collector):
    """A labelled counter: ``inc(*label_values)`` on the event loop's thread only."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self.values: dict[tuple[str, ...], list[float]] = {}  # label values -> [count, created]
        registry.register(self)

    def inc(self, *labels: str) -> None:
        found = self.values.get(labels)
        if found is None:
            found = self.values[labels] = [0.0, time.time()]
        found[0] += 1.0

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, "counter")]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, "counter")
        created = _created()
        for labels, (count, since) in list(self.values.items()):
            named = dict(zip(self.labelnames, labels, strict=True))
            metric.add_sample(self.name + "_total", named, count)
            if created:
                metric.add_sample(self.name + "_created", named, since)
        return [metric]


class Series:
    """One (method, route, status): its request count, latency buckets (not cumulative) and sum."""

    __slots__ = ("count", "buckets", "seconds", "created")

    def __init__(self, buckets: int) -> None:
        self.count = 0.0
        self.buckets = [0.0] * buckets
        self.seconds = 0.0
        self.created = time.time()


class RequestMetrics(Collector):
    """``<requests>_total`` and the ``<latency>`` histogram, both by method, route and status, in one lookup.

    ``count(method, route, status, seconds)`` on the event loop's thread only.
    """

    labelnames = ("method", "route", "status")

    def __init__(
        self,
        requests: tuple[str, str],
        latency: tuple[str, str],
        buckets: Sequence[float],
        registry: CollectorRegistry,
    ) -> None:
        (self.requests, self.requests_help), (self.latency, self.latency_help) = requests, latency
        self.bounds = [*(float(bound) for bound in buckets), INF]
        if self.bounds != sorted(self.bounds):
            raise ValueError("Buckets not in sorted order")
        self.series: dict[tuple[str, str, int], Series] = {}
        registry.register(self)

    def count(self, method: str, route: str, status: int, seconds: float) -> None:
        series = self.series.get((method, route, status))
        if series is None:
            series = self.series[(method, route, status)] = Series(len(self.bounds))
        series.count += 1.0
        series.seconds += seconds
        series.buckets[bisect_left(self.bounds, seconds)] += 1.0  # the first bound >= seconds, as Histogram

    def describe(self) -> Iterable[Metric]:
        return [
            Metric(self.requests, self.requests_help, "counter"),
            Metric(self.latency, self.latency_help, "histogram"),
        ]

    def collect(self) -> Iterable[Metric]:
        requests, latency = self.describe()
        created = _created()
        les = [_le(bound) for bound in self.bounds]
        for (method, route, status), series in list(self.series.items()):
            labels = {"method": method, "route": route, "status": str(status)}
            requests.add_sample(self.requests + "_total", labels, series.count)
            if created:
                requests.add_sample(self.requests + "_created", labels, series.created)
            total = 0.0
            for le, found in zip(les, series.buckets, strict=True):
                total += found
                latency.add_sample(self.latency + "_bucket", {**labels, "le": le}, total)
            latency.add_sample(self.latency + "_count", labels, total)
            latency.add_sample(self.latency + "_sum", labels, series.seconds)
            if created:
                latency.add_sample(self.latency + "_created", labels, series.created)
        return [requests, latency]
