"""One physical reader = one owner thread; callers queue behind it, boundedly.

Only the owner thread touches the reader, so two verifications can never
interleave APDUs on one card. A job that cannot be queued is refused at
once with a typed ``ReaderBusy`` carrying a ``Retry-After`` estimate: no
caller ever waits without a bound.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger("cccd_edge.reader")

Job = Callable[[], None]


class ReaderBusy(Exception):
    """The reader's queue is full (``status`` 429) or an exclusive job is pending (409)."""

    def __init__(self, message: str, retry_after: int, status: int = 429):
        self.message, self.retry_after, self.status = message, retry_after, status
        super().__init__(message)


class ReaderOwner:
    def __init__(
        self,
        name: str,
        *,
        queue_size: int = 4,
        clock: Callable[[], float] = time.monotonic,
        default_job_seconds: float = 5.0,
    ):
        self.name = name
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max(queue_size, 1))
        self._clock = clock
        self._lock = threading.Lock()
        self._busy_since: float | None = None
        self._avg = default_job_seconds  # running mean of job time, for Retry-After
        self._exclusive_pending = 0
        self._exclusive_budget = 0.0  # longest the pending exclusive job may hold the reader
        self._running_deadline: float | None = None
        self._running_exclusive = False
        self._jobs_done = 0
        self._thread = threading.Thread(target=self._run, name=f"reader-owner:{name}", daemon=True)
        self._stopped = False
        self._thread.start()

    # --- callers --------------------------------------------------------------------------
    def submit(self, job: Job, *, exclusive: bool = False, budget: float | None = None) -> None:
        """Queue ``job`` for the owner thread; raise ``ReaderBusy`` instead of waiting.

        ``exclusive`` jobs need the person at the kiosk (CAN typed on the screen,
        face capture): only one may be pending at a time, others get 409.
        ``budget``: the longest the job may hold the reader (its own timeouts added up);
        ``Retry-After`` is computed from it while the job runs.
        """
        with self._lock:
            if self._stopped:
                raise ReaderBusy("The reader is shutting down.", 5, 503)
            if exclusive and self._exclusive_pending:
                raise ReaderBusy(
                    "The kiosk is serving another person; try again shortly.",
                    self.exclusive_retry_after(),
                    409,
                )
            wrapped = self._wrap(job, exclusive, budget)
            try:
                self._queue.put_nowait(wrapped)
            except queue.Full:
                raise ReaderBusy(
                    "The reader is busy and its queue is full; try again later.",
                    self.retry_after(),
                    429,
                ) from None
            if exclusive:
                self._exclusive_pending += 1
                self._exclusive_budget = budget if budget is not None else self._avg

    def _running_left(self) -> float:
        """Seconds the running job may still hold the reader (its deadline, or the mean job
        time)."""
        if self._busy_since is None:
            return 0.0
        deadline = self._running_deadline
        if deadline is None:
            return self._avg
        left = max(deadline - self._clock(), 0.0)
        # A person at the kiosk may use the whole budget; a card job usually takes the mean.
        return left if self._running_exclusive else min(left, self._avg)

    def retry_after(self) -> int:
        """When the queue will have room again: the running job's deadline, then the mean per
        job."""
        return max(1, round(self._running_left() + self._queue.qsize() * self._avg + 0.5))

    def exclusive_retry_after(self) -> int:
        """When the pending exclusive job (a person at the kiosk) will have let go of the reader:
        its own deadline when it runs, else the jobs before it plus its budget."""
        if self._running_exclusive:
            return max(1, int(self._running_left() + 0.999))
        ahead = self._running_left() + max(self._queue.qsize() - 1, 0) * self._avg
        return max(1, int(ahead + self._exclusive_budget + 0.999))

    @property
    def queue_length(self) -> int:
        return self._queue.qsize()

    @property
    def busy(self) -> bool:
        return self._busy_since is not None

    def status(self) -> dict:
        return {
            "name": self.name,
            "busy": self.busy,
            "queued": self.queue_length,
            "jobs_done": self._jobs_done,
        }

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._stopped = True
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)

    # --- the owner thread -----------------------------------------------------------------
    def _wrap(self, job: Job, exclusive: bool, budget: float | None) -> Job:
        def run() -> None:
            self._running_deadline = None if budget is None else self._clock() + budget
            self._running_exclusive = exclusive
            try:
                job()
            finally:
                if exclusive:
                    with self._lock:
                        self._exclusive_pending -= 1

        return run

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            started = self._clock()
            self._busy_since = started
            try:
                job()
            except Exception:  # a job must fail its own session; the owner keeps serving
                log.exception("reader job raised", extra={"reader": self.name})
            finally:
                elapsed = self._clock() - started
                self._avg = 0.8 * self._avg + 0.2 * elapsed
                self._busy_since = None
                self._running_deadline = None
                self._running_exclusive = False
                self._jobs_done += 1
