import threading
import time

import pytest

from edge.reader_owner import ReaderBusy, ReaderOwner
from edge.sessions import MAX_LIVENESS_FRAMES, SessionStore, State


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_state_machine_and_events():
    store = SessionStore(ttl=10)
    s = store.create("rp", "school", nonce="n")
    s.move(State.READING)
    s.emit("step", step="access_control")
    s.move(State.VERIFYING)
    s.finish({"claims": {}})
    assert [e.data.get("state", e.data.get("step")) for e in s.events] == [
        "waiting_for_card",
        "reading",
        "access_control",
        "verifying",
        "done",
    ]
    from edge.sessions import SessionEnded

    with pytest.raises(SessionEnded):
        s.move(State.READING)
    s2 = SessionStore(ttl=10).create("rp", "school")
    with pytest.raises(RuntimeError, match="waiting_for_card to done"):
        s2.move(State.DONE)  # a job that skips a state is a bug, said loudly
    assert s.summary()["steps"] == ["access_control"]


def test_fail_clears_secrets_and_is_final():
    s = SessionStore(ttl=10).create("rp", "hospital")
    s.access_key, s.record = object(), {"full_name": "x"}
    s.add_frames([b"\xff\xd8a"])
    s.fail("card_removed", "The card was taken away.")
    assert s.state is State.FAILED and s.access_key is None and s.record is None and s.frames == []
    s.fail("other", "ignored")
    assert s.error["code"] == "card_removed"


def test_results_dropped_after_ttl():
    clock = Clock()
    store = SessionStore(ttl=30, clock=clock)
    s = store.create("rp", "school")
    s.move(State.READING)
    s.move(State.VERIFYING)
    s.finish({"claims": {"attributes": {"full_name": "x"}}})
    clock.t += 29
    assert store.get(s.id) is s
    clock.t += 2
    assert store.get(s.id) is None and s.result is None and len(store) == 0


def test_unfinished_sessions_dropped_after_max_age():
    clock = Clock()
    store = SessionStore(ttl=30, max_age=100, clock=clock)
    s = store.create("rp", "school")
    clock.t += 101
    assert store.get(s.id) is None


def test_frames_buffer_is_bounded_and_waits_have_timeouts():
    s = SessionStore(ttl=10).create("rp", "airport")
    assert s.add_frames([b"x"] * 15) == 10
    assert s.add_frames([b"x"]) == 0
    assert len(s.take_frames(0.01)) == 10
    t = time.monotonic()
    assert s.take_frames(0.05) == [] and time.monotonic() - t < 1
    assert s.wait_for_access_key(0.01) is None
    assert s.events_after(len(s.events), 0.01) == []


def test_challenge_frames_keep_capture_times_and_wait_for_the_last():
    s = SessionStore(ttl=10).create("rp", "airport")
    s.add_frames([b"early"], [1.0])
    s.start_liveness(
        {"challenge_id": "c", "steps": ["left"], "issued_at": 5.0, "deadline": 20.0, "prompts": []}
    )
    assert s.frames == [] and s.summary()["liveness"]["deadline"] == 20.0  # before it: dropped
    assert s.add_frames([b"a", b"b"], [6.0, 6.5]) == 2
    t = time.monotonic()
    assert s.take_challenge_frames(0.05) == [(6.0, b"a"), (6.5, b"b")]  # no "final": the timeout
    assert time.monotonic() - t >= 0.04
    s.add_frames([b"c"], [7.0], final=True)
    t = time.monotonic()
    assert s.take_challenge_frames(5) == [(7.0, b"c")] and time.monotonic() - t < 1
    # A challenge holds more frames than a plain match, still bounded.
    assert s.add_frames([b"x"] * 40, [8.0] * 40) == MAX_LIVENESS_FRAMES


def test_session_ids_come_from_rng():
    store = SessionStore(ttl=10, rng=lambda n: bytes(range(n)))
    assert store.create("rp", "school").id == "AAECAwQFBgcICQoLDA0ODw"


def test_owner_runs_jobs_one_at_a_time_in_order():
    owner = ReaderOwner("r", queue_size=8)
    running, seen, lock = [0], [], threading.Lock()
    peak = [0]
    done = threading.Event()

    def job(i):
        def run():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            time.sleep(0.01)
            with lock:
                running[0] -= 1
                seen.append(i)
            if i == 5:
                done.set()

        return run

    for i in range(6):
        owner.submit(job(i))
    assert done.wait(5)
    assert seen == list(range(6)) and peak[0] == 1
    owner.stop()


def test_full_queue_gives_429_with_retry_after_and_exclusive_gives_409():
    owner = ReaderOwner("r", queue_size=1, default_job_seconds=2.0)
    gate = threading.Event()
    started = threading.Event()

    def blocker():
        started.set()
        gate.wait(5)

    owner.submit(blocker, exclusive=True)
    assert started.wait(5)
    with pytest.raises(ReaderBusy) as exc:
        owner.submit(lambda: None, exclusive=True)
    assert exc.value.status == 409 and exc.value.retry_after >= 1
    owner.submit(lambda: None)  # one may wait in the queue
    with pytest.raises(ReaderBusy) as exc:
        owner.submit(lambda: None)
    assert exc.value.status == 429 and exc.value.retry_after >= 2
    gate.set()
    owner.stop()


def test_owner_survives_a_failing_job():
    owner = ReaderOwner("r", queue_size=2)
    ok = threading.Event()

    def bad():
        raise RuntimeError("card fault")

    owner.submit(bad)
    owner.submit(ok.set)
    assert ok.wait(5)
    assert owner.status()["jobs_done"] >= 1
    owner.stop()


def test_a_cancelled_session_stays_ended():
    from edge.sessions import SessionEnded

    s = SessionStore(ttl=10).create("rp", "airport")
    s.move(State.READING)
    s.kiosk_photo = b"\xff\xd8photo"
    s.fail("cancelled", "The verification was cancelled at the kiosk.")
    assert s.kiosk_photo is None
    with pytest.raises(SessionEnded):
        s.move(State.VERIFYING)
    with pytest.raises(SessionEnded):
        s.finish({"claims": {}})
    assert s.state is State.FAILED and s.result is None
