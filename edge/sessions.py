"""Verification sessions: state machine, progress events, results held in memory only.

States: ``waiting_for_card → reading → verifying → [face_capture] → done``,
or ``failed`` from any of them. Each change and each named read step is an
event (for the SSE stream and the kiosk screen). A finished session's result
stays in memory for ``ttl`` seconds and is then dropped: nothing is written.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class State(StrEnum):
    WAITING_FOR_CARD = "waiting_for_card"
    READING = "reading"
    VERIFYING = "verifying"
    FACE_CAPTURE = "face_capture"
    DONE = "done"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (State.DONE, State.FAILED)


# The only moves allowed; anything else is a programming error, not a user error.
_MOVES = {
    State.WAITING_FOR_CARD: {State.READING, State.FAILED},
    State.READING: {State.VERIFYING, State.FAILED},
    State.VERIFYING: {State.FACE_CAPTURE, State.DONE, State.FAILED},
    State.FACE_CAPTURE: {State.DONE, State.FAILED},
    State.DONE: set(),
    State.FAILED: set(),
}

MAX_BUFFERED_FRAMES = 10
# A liveness challenge is judged on all its frames at once: room for a 15 s window at ~2 frames/s.
MAX_LIVENESS_FRAMES = 32


class SessionEnded(Exception):
    """The session was ended from outside (cancelled at the kiosk) while its job still ran."""


@dataclass
class Event:
    seq: int
    name: (
        str  # 'state' or a step name ('access_control', 'read_files', 'passive_authentication' ...)
    )
    data: dict
    at: float

    def to_dict(self) -> dict:
        return {"seq": self.seq, "name": self.name, "data": self.data}


@dataclass
class VerificationSession:
    id: str
    relying_party: str
    profile: str
    options: dict = field(default_factory=dict)  # face_match_required, nonce, ask_on_kiosk ...
    created: float = 0.0
    state: State = State.WAITING_FOR_CARD
    events: list[Event] = field(default_factory=list)
    result: dict | None = None
    report: dict | None = None  # the report without personal data (edge.api.results.report_view)
    error: dict | None = None
    finished: float | None = None
    # Secrets and biometrics live here only while needed and are cleared as soon as used.
    access_key: Any = None
    record: dict | None = None
    frames: list[tuple[float, bytes]] = field(default_factory=list)  # (capture time, JPEG)
    # The head-turn challenge while the face is captured (public: steps, prompts, window), the
    # client's "that was the last frame", and the verdict (verdict + codes) for the kiosk screen.
    liveness: dict | None = None
    frames_final: bool = False
    liveness_verdict: dict | None = None
    kiosk_photo: bytes | None = None  # chip photo for the kiosk screen only (kiosk_ui pops it once)
    # For the kiosk screen only (no personal data): the document's currency and the face stage's
    # outcome (edge.api.face_step.run_face_stage), so a face problem never reads as a bad card.
    document_currency: str | None = None
    face_outcome: dict[str, Any] | None = None
    _cond: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def emit(self, name: str, **data) -> Event:
        with self._cond:
            event = Event(len(self.events) + 1, name, data, self._clock())
            self.events.append(event)
            self._cond.notify_all()
            return event

    def move(self, state: State, **data) -> None:
        with self._cond:
            if self.state.final and not state.final:
                raise SessionEnded(self.id)
            if state not in _MOVES[self.state]:
                raise RuntimeError(f"session cannot go from {self.state.value} to {state.value}")
            self.state = state
            if state.final:
                self.finished = self._clock()
                self.access_key = None
                self.frames.clear()
            self.emit("state", state=state.value, **data)

    def finish(self, result: dict) -> None:
        with self._cond:
            if self.state.final:
                raise SessionEnded(self.id)
            self.result = result
            self.record = None
            self.move(State.DONE)

    def fail(self, code: str, message: str, step: str | None = None) -> None:
        with self._cond:
            if self.state.final:
                return
            self.error = {"code": code, "message": message, **({"step": step} if step else {})}
            self.record = None
            self.kiosk_photo = None
            self.move(State.FAILED, code=code)

    def set_access_key(self, key: Any) -> None:
        with self._cond:
            self.access_key = key
            self._cond.notify_all()

    def wait_for_access_key(self, timeout: float) -> Any:
        with self._cond:
            self._cond.wait_for(lambda: self.access_key is not None or self.state.final, timeout)
            return self.access_key

    def start_liveness(self, challenge: dict) -> None:
        with self._cond:
            self.liveness, self.frames_final = dict(challenge), False
            self.frames.clear()  # frames sent before the challenge answer nothing

    def add_frames(
        self, frames: list, timestamps: list[float] | None = None, *, final: bool = False
    ) -> int:
        """Buffer frames (JPEG bytes) with their capture times; returns how many were taken."""
        with self._cond:
            limit = MAX_LIVENESS_FRAMES if self.liveness is not None else MAX_BUFFERED_FRAMES
            room = max(limit - len(self.frames), 0)
            times = list(timestamps or [])
            times += [self._clock()] * (len(frames) - len(times))
            # Timestamps beyond the frames sent are ignored (times was padded to cover every frame).
            self.frames.extend(zip(times[:room], frames[:room], strict=False))
            self.frames_final = self.frames_final or final
            self._cond.notify_all()
            return min(len(frames), room)

    def take_frames(self, timeout: float) -> list[bytes]:
        with self._cond:
            self._cond.wait_for(lambda: bool(self.frames) or self.state.final, timeout)
            frames, self.frames = self.frames, []
            return [frame for _, frame in frames]

    def take_challenge_frames(self, timeout: float) -> list[tuple[float, bytes]]:
        """All ``(capture time, frame)`` pairs once the client says it is done, the buffer is
        full, the session ends, or ``timeout`` passes."""
        with self._cond:
            self._cond.wait_for(
                lambda: (
                    self.frames_final or len(self.frames) >= MAX_LIVENESS_FRAMES or self.state.final
                ),
                timeout,
            )
            frames, self.frames = self.frames, []
            return frames

    def events_after(self, seq: int, timeout: float) -> list[Event]:
        """Events newer than ``seq``; waits up to ``timeout`` for one when there are none."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.events) > seq or self.state.final, timeout)
            return self.events[seq:]

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "state": self.state.value,
            "steps": [e.data.get("step", e.name) for e in self.events if e.name != "state"],
        }
        if self.error:
            out["error"] = dict(self.error)
        if self.liveness is not None:
            out["liveness"] = dict(self.liveness)
        if self.result is not None:
            out["result"] = self.result
        if self.report is not None:
            out["report"] = self.report
        return out


class SessionStore:
    """Sessions in memory, looked up by id; finished ones expire ``ttl`` seconds after they end.

    Expiry does not wait for traffic: ``start_reaper`` runs ``purge`` on a timer (a daemon
    thread), and ``len()`` (health, metrics) purges first, so personal attributes leave memory
    ``ttl`` seconds after a result is ready even on an idle kiosk.
    """

    def __init__(
        self,
        ttl: float,
        *,
        max_age: float = 3600.0,
        max_sessions: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[int], bytes] = os.urandom,
    ):
        self.ttl, self.max_age, self.max_sessions = ttl, max_age, max_sessions
        self._clock, self._rng = clock, rng
        self._sessions: dict[str, VerificationSession] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reaper: threading.Thread | None = None
        self.purged = (
            threading.Event()
        )  # set whenever a purge dropped a session (for tests/metrics)

    def start_reaper(self, interval: float | None = None) -> None:
        """Purge every ``interval`` seconds (default: a quarter of the TTL, between 0.05 s
        and 1 s)."""
        if self._reaper is not None:
            return
        every = interval if interval is not None else min(max(self.ttl / 4, 0.05), 1.0)

        def loop() -> None:
            while not self._stop.wait(every):
                self.purge()

        self._reaper = threading.Thread(target=loop, name="session-reaper", daemon=True)
        self._reaper.start()

    def stop_reaper(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._reaper is not None:
            self._reaper.join(timeout)
            self._reaper = None

    def new_id(self) -> str:
        return base64.urlsafe_b64encode(self._rng(16)).rstrip(b"=").decode("ascii")

    def create(self, relying_party: str, profile: str, **options) -> VerificationSession:
        self.purge()
        session = VerificationSession(
            self.new_id(),
            relying_party,
            profile,
            options,
            created=self._clock(),
            _clock=self._clock,
        )
        with self._lock:
            if len(self._sessions) >= self.max_sessions:
                raise OverflowError("too many sessions held")
            self._sessions[session.id] = session
        session.emit("state", state=session.state.value)
        return session

    def get(self, session_id: str) -> VerificationSession | None:
        self.purge()
        with self._lock:
            return self._sessions.get(session_id)

    def _expired(self, s: VerificationSession, now: float) -> bool:
        if s.finished is not None and now - s.finished >= self.ttl:
            return True
        return now - s.created >= self.max_age

    def purge(self) -> int:
        now = self._clock()
        with self._lock:
            gone = [k for k, s in self._sessions.items() if self._expired(s, now)]
            for k in gone:
                s = self._sessions.pop(k)
                s.result, s.record, s.access_key, s.kiosk_photo = None, None, None, None
                s.frames.clear()
        if gone:
            self.purged.set()
        return len(gone)

    def discard(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def active(self) -> list[VerificationSession]:
        with self._lock:
            return list(self._sessions.values())

    def __len__(self) -> int:
        self.purge()
        with self._lock:
            return len(self._sessions)
