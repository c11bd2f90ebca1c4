import json
import logging
import re
import stat

import pytest

from edge.audit import AuditLog, JsonLinesFormatter, load_or_create_secret, setup_json_logging
from edge.metrics import Counter, Histogram, ServiceMetrics

ID = "001093047064"


class Clock:
    def __init__(self, t=1_790_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


def test_secret_file_0600_and_stable(tmp_path):
    p = tmp_path / "k" / "audit-hmac.key"
    s1 = load_or_create_secret(p, rng=lambda n: b"\x01" * n)
    assert s1 == b"\x01" * 32 and stat.S_IMODE(p.stat().st_mode) == 0o600
    assert load_or_create_secret(p) == s1


def test_rows_hold_keyed_hmac_not_the_number(tmp_path):
    db = tmp_path / "audit.sqlite"
    log = AuditLog(db, b"k" * 32, kiosk_id="k1", clock=Clock())
    log.record(
        verification_id="v1",
        relying_party="hosp",
        kind="card",
        outcome="done",
        overall="valid",
        passive_authentication="valid",
        chip_authenticity="valid",
        face="not_performed",
        access_protocol="PACE-CAN",
        reason_codes=[],
        durations={"read": 812.3456},
        total_ms=900,
        id_number=ID,
    )
    row = log.rows()[0]
    assert row["id_hmac"] != ID and len(row["id_hmac"]) == 64
    assert row["durations"] == json.dumps({"read": 812.35})
    other = AuditLog(tmp_path / "b.sqlite", b"j" * 32, kiosk_id="k2")
    assert other.id_hmac(ID) != row["id_hmac"], "another kiosk's secret gives another value"
    log.close()
    raw = db.read_bytes()
    assert ID.encode() not in raw and ID[-6:].encode() not in raw


def test_stats(tmp_path):
    clock = Clock()
    log = AuditLog(":memory:", b"k" * 32, kiosk_id="k1", clock=clock)
    log.record(
        verification_id="a",
        relying_party="h",
        kind="card",
        outcome="done",
        overall="valid",
        durations={"read": 100, "verify": 10},
        total_ms=120,
    )
    log.record(
        verification_id="b",
        relying_party="h",
        kind="card",
        outcome="failed",
        reason_codes=["card_removed"],
        durations={"read": 300},
        total_ms=300,
    )
    clock.t += 86400
    log.record(
        verification_id="c",
        relying_party="h",
        kind="upload",
        outcome="done",
        overall="unknown",
        reason_codes=["csca_unknown"],
        durations={"verify": 20},
        total_ms=20,
    )
    s = log.stats(days=30)
    assert (
        s["verifications"] == 3
        and s["succeeded"] == 1
        and s["success_rate"] == pytest.approx(1 / 3, 1e-3)
    )
    assert [d["verifications"] for d in s["per_day"]] == [2, 1]
    assert s["failure_reasons"] == {"card_removed": 1, "csca_unknown": 1}
    assert s["average_ms_per_step"] == {"read": 200.0, "verify": 15.0}


def test_json_log_lines_redact_numbers(tmp_path):
    path = tmp_path / "app.log"
    logger = setup_json_logging("cccd_edge_test", path=str(path))
    logger.info(
        "read card %s with CAN %s", ID, "047064", extra={"verification_id": "v9", "code": "ok"}
    )
    for h in logger.handlers:
        h.flush()
    line = json.loads(path.read_text().splitlines()[0])
    assert line["verification_id"] == "v9" and line["level"] == "info"
    assert ID not in path.read_text() and "047064" not in path.read_text()


def test_formatter_drops_exception_text():
    rec = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", None, None)
    try:
        raise ValueError(f"name Nguyễn Văn An {ID}")
    except ValueError:
        import sys

        rec.exc_info = sys.exc_info()
    out = JsonLinesFormatter().format(rec)
    assert "Nguyễn" not in out and ID not in out and '"exception": "ValueError"' in out


def _parse(text):
    samples = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = re.fullmatch(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)", line)
        assert m, f"not exposition format: {line!r}"
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


def test_metrics_exposition():
    m = ServiceMetrics(queue_length=lambda: 3, sessions_active=lambda: 2)
    m.http_requests.inc(method="GET", route="/v1/health", status="200")
    m.http_requests.inc(method="GET", route="/v1/health", status="200")
    m.step_seconds.observe(0.02, step="read")
    m.step_seconds.observe(7.0, step="read")
    s = _parse(m.render())
    assert s['cccd_edge_http_requests_total{method="GET",route="/v1/health",status="200"}'] == 2
    assert s['cccd_edge_step_seconds_bucket{step="read",le="0.025"}'] == 1
    assert s['cccd_edge_step_seconds_bucket{step="read",le="+Inf"}'] == 2
    assert s['cccd_edge_step_seconds_sum{step="read"}'] == pytest.approx(7.02)
    assert s["cccd_edge_reader_queue_length"] == 3 and s["cccd_edge_sessions_active"] == 2


def test_metric_labels_checked_and_escaped():
    c = Counter("c_total", "help", ("code",))
    with pytest.raises(ValueError):
        c.inc(other="x")
    c.inc(code='a"b\\c')
    assert 'c_total{code="a\\"b\\\\c"} 1' in c.render()
    h = Histogram("h", "help", buckets=(1.0,))
    h.observe(0.5)
    assert h.count() == 1
