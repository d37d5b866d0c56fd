"""A node's game timings on /metrics: plain counts on the hot path, a Prometheus histogram
when scraped (like the hub's counters). `observe` costs a bisect and two additions, about
a quarter of `prometheus_client.Histogram.observe` with its locks; it runs on every tick
of every game (docs/performance.md, "Pong games")."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

# Seconds: 10 us to 100 ms (a tick's whole budget is 16.7 ms).
BUCKETS = tuple(b * 1e-6 for b in (10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750)) + tuple(
    b * 1e-3 for b in (1, 1.5, 2, 3, 5, 7.5, 10, 16.7, 25, 50, 100)
)


class Timings(Collector):
    def __init__(self, name: str, documentation: str, buckets: tuple[float, ...] = BUCKETS):
        self.name = name
        self.documentation = documentation
        self.bounds = buckets
        self.counts = [0] * (len(buckets) + 1)  # the last one: above every bound (+Inf)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.sum += seconds

    def collect(self) -> Iterator[Any]:
        cumulative = 0
        buckets = []
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else f"{bound:.6g}", cumulative))
        yield HistogramMetricFamily(
            self.name, self.documentation, buckets=buckets, sum_value=self.sum
        )
