"""The kiosk's side of the fleet: enrol once, then ship batches, heartbeats, pull trust bundles.

One background thread. Delivery is at-least-once: a batch leaves the outbox only after the
fleet service answered 200 (which it does only after committing), and the service counts each
event id once. While the service is unreachable (or answers 503) the thread backs off
exponentially (``min_backoff`` doubling up to ``max_backoff``, with jitter) and the outbox
keeps everything; nothing here is ever on a verification's path.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.fleet.outbox import Outbox
from edge.fleet.protocol import sign_request
from edge.fleet.trustbundle import BundleError, install_bundle
from edge.signing import KioskKey

log = logging.getLogger("cccd_edge.fleet.shipper")


@dataclass(frozen=True)
class KioskFleetSettings:
    url: str
    token: str = ""
    facility: str = ""
    heartbeat_s: float = 60.0
    trust_s: float = 3600.0
    outbox_max: int = 100_000
    batch: int = 500
    min_backoff_s: float = 0.5
    max_backoff_s: float = 60.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KioskFleetSettings | None:
        url = env.get("CCCD_EDGE_FLEET_URL", "").strip().rstrip("/")
        if not url:
            return None

        def num(name: str, default: float) -> float:
            try:
                return float(env.get(name) or default)
            except ValueError:
                log.warning("ignored an unusable setting", extra={"code": name})
                return default

        return cls(
            url=url,
            token=env.get("CCCD_EDGE_FLEET_TOKEN", ""),
            facility=env.get("CCCD_EDGE_FLEET_FACILITY", ""),
            heartbeat_s=max(1.0, num("CCCD_EDGE_FLEET_HEARTBEAT_SECONDS", 60)),
            trust_s=max(1.0, num("CCCD_EDGE_FLEET_TRUST_SECONDS", 3600)),
            outbox_max=max(100, int(num("CCCD_EDGE_FLEET_OUTBOX_MAX", 100_000))),
            batch=min(1000, max(1, int(num("CCCD_EDGE_FLEET_BATCH", 500)))),
            max_backoff_s=max(0.5, num("CCCD_EDGE_FLEET_MAX_BACKOFF", 60)),
        )


class FleetError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


def trust_store_status(path: Path | None, now: float) -> dict[str, Any]:
    """Age of the trust store file and freshness of its CRLs (for the heartbeat)."""
    if path is None or not path.is_file():
        return {"present": False}
    out: dict[str, Any] = {"present": True, "age_s": round(now - path.stat().st_mtime)}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            certs = db.execute("SELECT count(*) FROM certs").fetchone()[0]
            crls, next_update = db.execute("SELECT count(*), min(next_update) FROM crls").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return {**out, "readable": False}
    out.update(certificates=certs, crls=crls, crl_next_update=next_update)
    if next_update:
        due = datetime.fromisoformat(next_update)
        due = due.replace(tzinfo=UTC) if due.tzinfo is None else due
        out["crl_overdue"] = due.timestamp() < now
    return out


class FleetShipper:
    def __init__(
        self,
        settings: KioskFleetSettings,
        *,
        kiosk_id: str,
        key: KioskKey,
        outbox: Outbox,
        state_path: Path,
        trust_target: Path,
        health: Callable[[], dict[str, Any]],
        on_bundle: Callable[[Path], None],
        clock: Callable[[], float] = time.time,
    ):
        self.settings = settings
        self.kiosk_id = kiosk_id
        self.key = key
        self.outbox = outbox
        self.state_path = state_path
        self.trust_target = trust_target
        self._health = health
        self._on_bundle = on_bundle
        self._clock = clock
        self.state = self._load_state()
        self._errors: dict[str, str] = {}
        self.batch = settings.batch
        self.delivered = 0
        self._backoff = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        outbox.on_enqueue = self._wake.set
        self._thread = threading.Thread(target=self._run, name="fleet-shipper", daemon=True)

    # --- state (enrolment, pinned fleet key, bundle version) -------------------------------
    def _load_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        # Enrolled with another fleet or under another id: start over.
        ok = state.get("url") == self.settings.url and state.get("kiosk_id") == self.kiosk_id
        return state if ok else {}

    def _save_state(self) -> None:
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state), encoding="utf-8")
        os.replace(tmp, self.state_path)

    @property
    def enrolled(self) -> bool:
        return "fleet_key" in self.state

    @property
    def bundle_version(self) -> int:
        return int(self.state.get("bundle_version", 0))

    # --- HTTP ------------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: bytes = b"") -> dict[str, Any]:
        headers = sign_request(self.key, self.kiosk_id, method, path, body, now=self._clock())
        req = urllib.request.Request(
            self.settings.url + path,
            data=body if method == "POST" else None,
            method=method,
            headers={**headers, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            try:
                info = json.loads(err.read() or b"{}")
            except ValueError:
                info = {}
            raise FleetError(
                err.code, str(info.get("error", "http_error")), str(info.get("message", err.reason))
            ) from None
        except (OSError, ValueError) as exc:
            raise FleetError(
                0, "fleet_unreachable", f"The fleet service is unreachable ({exc})."
            ) from None

    # --- the thread ------------------------------------------------------------------------
    def start(self) -> FleetShipper:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    @property
    def last_error(self) -> str | None:
        """The most recent error of an activity that has not succeeded since."""
        return list(self._errors.values())[-1] if self._errors else None

    def _note(self, activity: str, exc: FleetError | None) -> None:
        self._errors.pop(activity, None)
        if exc is not None:
            self._errors[activity] = f"{exc.code}: {exc.message}"[:300]
            log.warning("fleet request failed", extra={"code": exc.code, "status": exc.status})

    def _attempt(self, activity: str, work: Callable[[], Any]) -> Any:
        """Run one activity; its failure is noted, never stops the others."""
        try:
            result = work()
        except FleetError as exc:
            self._note(activity, exc)
            return None
        except Exception as exc:  # the thread must survive anything and say so
            self._note(activity, FleetError(0, type(exc).__name__, "Unexpected shipper error."))
            return None
        self._note(activity, None)
        return result

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _run(self) -> None:
        next_heartbeat = next_trust = 0.0
        while not self._stop.is_set():
            if self._backoff:
                # Jitter: hundreds of kiosks coming back together must not hit the service at once.
                self._stop.wait(self._backoff * random.uniform(0.8, 1.2))
                if self._stop.is_set():
                    return
            if not self.enrolled and self._attempt("enrolment", self.enrol) is None:
                self._grow_backoff()
                continue
            now = time.monotonic()
            if now >= next_trust:
                next_trust = now + self.settings.trust_s
                self._attempt("trust_bundle", self.pull_bundle)
            if now >= next_heartbeat:
                next_heartbeat = now + self.settings.heartbeat_s
                self._attempt("heartbeat", self.send_heartbeat)
            more = self._attempt("delivery", self.ship_once)
            if more is None:
                self._grow_backoff()  # unreachable or refused: the outbox keeps the events
                continue
            self._backoff = 0.0
            if not more:
                self._sleep(max(0.05, min(next_heartbeat, next_trust) - time.monotonic()))

    def _grow_backoff(self) -> None:
        self._backoff = min(
            self.settings.max_backoff_s, max(self.settings.min_backoff_s, self._backoff * 2)
        )

    # --- the work --------------------------------------------------------------------------
    def enrol(self) -> bool:
        if not self.settings.token:
            raise FleetError(0, "not_enrolled", "Set CCCD_EDGE_FLEET_TOKEN to enrol this kiosk.")
        body = json.dumps(
            {
                "kiosk_id": self.kiosk_id,
                "token": self.settings.token,
                "jwk": self.key.jwk,
                "facility": self.settings.facility,
            }
        ).encode()
        answer = self._request("POST", "/v1/fleet/enroll", body)
        if not isinstance(answer.get("fleet_key"), dict):
            raise FleetError(0, "bad_answer", "The enrolment answer has no fleet key.")
        self.state = {
            "url": self.settings.url,
            "kiosk_id": self.kiosk_id,
            "fleet_key": answer["fleet_key"],  # pinned: bundles must be signed by it
            "bundle_version": 0,
        }
        self._save_state()
        return True

    def ship_once(self) -> bool:
        """Send one batch; True when more rows are waiting."""
        rows = self.outbox.peek(self.batch)
        if not rows:
            return False
        body = ('{"events":[' + ",".join(b for _, b in rows) + "]}").encode("utf-8")
        try:
            answer = self._request("POST", "/v1/fleet/events", body)
        except FleetError as exc:
            if exc.status == 413 and self.batch > 1:
                self.batch = max(1, self.batch // 2)
                return True
            if exc.status == 400 and exc.code == "bad_event":
                if len(rows) == 1:
                    self.outbox.reject([rows[0][0]])  # this one row can never be accepted
                    return True
                self.batch = 1  # find the bad row one by one
                return True
            raise
        self.outbox.ack([seq for seq, _ in rows])
        self.delivered += int(answer.get("accepted", 0))
        self.batch = self.settings.batch
        return len(self.outbox) > 0

    def heartbeat_body(self) -> dict[str, Any]:
        now = self._clock()
        health = self._health()
        return {
            **health,
            "trust_store": trust_store_status(self.trust_target, now),
            "queue_length": len(self.outbox),
            "queue_oldest_age_s": round(self.outbox.oldest_age(), 1),
            "dropped": self.outbox.counter("dropped"),
            "rejected": self.outbox.counter("rejected"),
            "last_error": self.last_error,
            "bundle_version": self.bundle_version,
            "sent_at": datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds"),
        }

    def send_heartbeat(self) -> bool:
        self._request("POST", "/v1/fleet/heartbeat", json.dumps(self.heartbeat_body()).encode())
        return True

    def pull_bundle(self) -> bool:
        """Fetch the latest trust bundle; install it when newer. True when one was installed."""
        answer = self._request("GET", "/v1/fleet/trust/bundle")
        version, jws = answer.get("version"), answer.get("jws")
        if not isinstance(version, int) or version <= self.bundle_version or not jws:
            return False  # nothing newer (False, not None: the pull itself worked)
        try:
            installed = install_bundle(
                jws, self.state["fleet_key"], self.trust_target, self.bundle_version
            )
        except BundleError as exc:
            raise FleetError(0, "trust_bundle_refused", exc.message) from None
        self.state["bundle_version"] = installed.version
        self._save_state()
        self._on_bundle(self.trust_target)
        log.info("trust bundle installed", extra={"code": str(installed.version)})
        return True
