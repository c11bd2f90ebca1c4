"""Prometheus metrics in the text exposition format (version 0.0.4), no extra dependency.

Counters, gauges and histograms with labels; values never carry personal
data (labels are relying parties, states, reason codes, HTTP routes).
"""

from __future__ import annotations

import math
import threading
from typing import TypeVar

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [f'{n}="{_escape(str(v))}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _num(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class _Metric:
    kind = ""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = ()):
        self.name, self.help, self.label_names = name, help_text, labels
        self._lock = threading.Lock()

    def _key(self, labels: dict) -> tuple[str, ...]:
        if set(labels) != set(self.label_names):
            raise ValueError(f"{self.name} takes labels {self.label_names}")
        return tuple(str(labels[n]) for n in self.label_names)

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]

    def render(self) -> list[str]:
        raise NotImplementedError  # each kind of metric renders its own lines


_M = TypeVar("_M", bound=_Metric)


class Counter(_Metric):
    kind = "counter"

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self._values: dict[tuple[str, ...], float] = {}

    def inc(self, amount: float = 1.0, **labels) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels) -> float:
        return self._values.get(self._key(labels), 0.0)

    def render(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return self.header() + [
            f"{self.name}{_labels(self.label_names, k)} {_num(v)}" for k, v in items
        ]


class Gauge(Counter):
    kind = "gauge"

    def __init__(self, *a, callback=None, **kw):
        super().__init__(*a, **kw)
        self._callback = callback  # for values read at scrape time (queue length, sessions)

    def set(self, value: float, **labels) -> None:
        with self._lock:
            self._values[self._key(labels)] = float(value)

    def render(self) -> list[str]:
        if self._callback is not None:
            self.set(self._callback())
        return super().render()


class Histogram(_Metric):
    kind = "histogram"

    def __init__(
        self,
        name: str,
        help_text: str,
        labels: tuple[str, ...] = (),
        buckets: tuple[float, ...] = DEFAULT_BUCKETS,
    ):
        super().__init__(name, help_text, labels)
        self.buckets = (*tuple(sorted(buckets)), math.inf)
        self._data: dict[tuple[str, ...], list] = {}

    def observe(self, value: float, **labels) -> None:
        key = self._key(labels)
        with self._lock:
            counts, total = self._data.setdefault(key, [[0] * len(self.buckets), 0.0])
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    counts[i] += 1
            self._data[key][1] = total + value

    def count(self, **labels) -> int:
        data = self._data.get(self._key(labels))
        return data[0][-1] if data else 0

    def render(self) -> list[str]:
        lines = self.header()
        with self._lock:
            items = sorted((k, (list(c), s)) for k, (c, s) in self._data.items())
        for key, (counts, total) in items:
            for bound, count in zip(self.buckets, counts, strict=True):
                le = 'le="' + _num(bound) + '"'
                lines.append(f"{self.name}_bucket{_labels(self.label_names, key, le)} {count}")
            lines.append(f"{self.name}_sum{_labels(self.label_names, key)} {_num(total)}")
            lines.append(f"{self.name}_count{_labels(self.label_names, key)} {counts[-1]}")
        return lines


class Registry:
    def __init__(self):
        self._metrics: list[_Metric] = []

    def add(self, metric: _M) -> _M:
        self._metrics.append(metric)
        return metric

    def render(self) -> str:
        return "\n".join(line for m in self._metrics for line in m.render()) + "\n"


class ServiceMetrics:
    """The service's metrics, one object per app."""

    def __init__(self, *, queue_length=None, sessions_active=None):
        r = self.registry = Registry()
        self.http_requests = r.add(
            Counter(
                "cccd_edge_http_requests_total",
                "HTTP requests by route and status.",
                ("method", "route", "status"),
            )
        )
        self.http_seconds = r.add(
            Histogram("cccd_edge_http_request_seconds", "HTTP request duration.", ("route",))
        )
        self.verifications = r.add(
            Counter(
                "cccd_edge_verifications_total",
                "Finished verifications by relying party, kind and outcome.",
                ("relying_party", "kind", "outcome"),
            )
        )
        self.failures = r.add(
            Counter(
                "cccd_edge_verification_failures_total",
                "Reason codes of verifications that did not end valid.",
                ("code",),
            )
        )
        self.step_seconds = r.add(
            Histogram("cccd_edge_step_seconds", "Time per verification step.", ("step",))
        )
        self.reader_busy = r.add(
            Counter(
                "cccd_edge_reader_busy_total",
                "Requests turned away because the reader was busy.",
                ("reason",),
            )
        )
        self.queue_length = r.add(
            Gauge(
                "cccd_edge_reader_queue_length",
                "Jobs waiting for the reader.",
                callback=queue_length,
            )
        )
        self.sessions = r.add(
            Gauge(
                "cccd_edge_sessions_active",
                "Verification sessions held in memory.",
                callback=sessions_active,
            )
        )

    def render(self) -> str:
        return self.registry.render()
