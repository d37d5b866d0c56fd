"""Request ids, structured logs and Prometheus metrics."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from quart import Quart, Response, g, request

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(fmt: str = "text", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


PROBE_TIMEOUT = 2.0  # seconds, per dependency (/readyz and /metrics answer within it)
_METRIC_NAME = re.compile(r"^transcendence_[a-z0-9_]+$")


class Metrics:
    """One registry per app, so several apps in one process (tests) do not collide.

    Modules declare their own metrics through `counter()`, `gauge()` and `histogram()`
    (`core_of(app).metrics.counter(...)`): declaring the same name again returns the metric
    already declared, so a module switched off and on again, or code that declares where it
    counts, keeps one series instead of failing on a duplicate.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._declared: dict[str, tuple[str, tuple[str, ...], Any]] = {}
        self.requests = Counter(
            "transcendence_http_requests_total",
            "HTTP requests handled",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "transcendence_http_request_seconds",
            "HTTP request duration",
            ["method", "route"],
            registry=self.registry,
        )
        self.modules_enabled = Gauge(
            "transcendence_modules_enabled", "Enabled modules", registry=self.registry
        )
        # Set by `probe()`, which every scrape of /metrics and every /readyz runs: the
        # dashboards and the "bus disconnected" alert read what the node itself can reach.
        self.dependency_up = Gauge(
            "transcendence_dependency_up",
            "1 when the dependency answered the node's last probe, 0 when it did not",
            ["dependency"],
            registry=self.registry,
        )
        self.dependency_seconds = Gauge(
            "transcendence_dependency_probe_seconds",
            "How long the node's last probe of the dependency took",
            ["dependency"],
            registry=self.registry,
        )
        self.module_toggles = Counter(
            "transcendence_module_toggles",
            "Module toggles this node applied (`state`: what the module became)",
            ["module", "state"],
            registry=self.registry,
        )
        self._modules_seen: frozenset[str] | None = None

    async def probe(self, probes: Mapping[str, Callable[[], Awaitable[object]]]) -> dict[str, str]:
        """Run each probe side by side (a hanging one costs its own timeout, not the others'
        too): `{"database": "ok", "bus": "unavailable: ConnectionError"}`, also on /metrics."""

        async def check(name: str, probe: Callable[[], Awaitable[object]]) -> str:
            started = time.perf_counter()
            try:
                async with asyncio.timeout(PROBE_TIMEOUT):
                    await probe()
                result = "ok"
            except Exception as exc:  # any failure means "unavailable"; say which
                result = f"unavailable: {type(exc).__name__}"
            self.dependency_up.labels(name).set(1 if result == "ok" else 0)
            self.dependency_seconds.labels(name).set(time.perf_counter() - started)
            return result

        results = await asyncio.gather(*(check(n, p) for n, p in probes.items()))
        return dict(zip(probes, results, strict=True))

    def track_modules(self, installed: Iterable[str]) -> Callable[[frozenset[str]], None]:
        """A `Registry.on_change` listener counting toggles; the node's first read of the
        table is its starting point, not a toggle. Every installed module's series exist
        from the start (at 0), so a dashboard shows "no toggles" rather than "no data"."""
        for name in installed:
            for state in ("enabled", "disabled"):
                self.module_toggles.labels(name, state)

        def changed(enabled: frozenset[str]) -> None:
            before, self._modules_seen = self._modules_seen, enabled
            if before is None:
                return
            for name in enabled - before:
                self.module_toggles.labels(name, "enabled").inc()
            for name in before - enabled:
                self.module_toggles.labels(name, "disabled").inc()

        return changed

    def watch_bus(self, bus: Any) -> None:
        """The bus's plain counters (`published`, `received`, `overflows`), read at scrape time."""
        self.registry.register(_BusCounts(bus))

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        """A counter named `transcendence_<module>_<what>` (exposed with a `_total` suffix)."""
        return self._declare(Counter, name.removesuffix("_total"), documentation, labels)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        """A gauge; `gauge(...).set_function(f)` reads a value at scrape time."""
        return self._declare(Gauge, name, documentation, labels)

    def histogram(
        self,
        name: str,
        documentation: str,
        labels: Sequence[str] = (),
        buckets: Sequence[float] | None = None,
    ) -> Histogram:
        extra = {"buckets": tuple(buckets)} if buckets is not None else {}
        return self._declare(Histogram, name, documentation, labels, **extra)

    def _declare(
        self, kind: type, name: str, documentation: str, labels: Sequence[str], **extra: Any
    ) -> Any:
        if not _METRIC_NAME.match(name):
            raise ValueError(
                f"metric name {name!r}: use transcendence_<module>_<what>, lowercase and _"
            )
        labels = tuple(labels)
        found = self._declared.get(name)
        if found is not None:
            found_kind, found_labels, metric = found
            if found_kind != kind.__name__ or found_labels != labels:
                raise ValueError(
                    f"metric {name} is already declared as a {found_kind.lower()} "
                    f"with labels {list(found_labels)}"
                )
            return metric
        metric = kind(name, documentation, labels, registry=self.registry, **extra)
        self._declared[name] = (kind.__name__, labels, metric)
        return metric

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _BusCounts(Collector):
    def __init__(self, bus: Any) -> None:
        self._bus = bus

    def collect(self) -> Iterator[Any]:
        for name, doc in (
            ("published", "Messages this node published on the bus"),
            ("received", "Messages the bus handed to this node's subscriptions"),
            ("overflows", "Subscriptions cut off for falling behind (their consumer resyncs)"),
        ):
            yield CounterMetricFamily(
                f"transcendence_bus_{name}", doc, value=getattr(self._bus, name)
            )


def install(app: Quart, metrics: Metrics) -> None:
    # The labelled series of each (method, route, status): `labels()` validates and locks on
    # every call, ten times the cost of counting. Bounded: routes are the app's rules.
    series: dict[tuple[str, str, str], tuple[Any, Any]] = {}

    def series_of(method: str, route: str, status: str) -> tuple[Any, Any]:
        found = series.get((method, route, status))
        if found is None:
            found = series[method, route, status] = (
                metrics.requests.labels(method, route, status),
                metrics.latency.labels(method, route),
            )
        return found

    @app.before_request
    async def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        # 32 random hex digits, like `uuid4().hex`, at a fifth of its cost.
        rid = incoming if _VALID_ID.match(incoming) else os.urandom(16).hex()
        g.request_id = rid
        g.request_started = time.perf_counter()
        request_id_var.set(rid)

    @app.after_request
    async def _finish(response: Response) -> Response:
        rid = getattr(g, "request_id", None)
        if rid:
            response.headers["X-Request-ID"] = rid
        started = getattr(g, "request_started", None)
        # The rule, not the path, labels the metric: paths would explode its cardinality.
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        count, latency = series_of(request.method, route, str(response.status_code))
        count.inc()
        if started is not None:
            latency.observe(time.perf_counter() - started)
        return response
