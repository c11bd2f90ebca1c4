"""A private pcscd with the vpcd driver, for tests and benchmarks.

pcsc-lite 1.9.9's daemon always puts its socket at ``/run/pcscd/pcscd.comm``
(only the client library honours ``PCSCLITE_CSOCK_NAME``). So the daemon runs
in its own mount namespace (``unshare -m``) with a private directory bound
over ``/run``: its socket lands in that directory, which the test process
reaches through ``PCSCLITE_CSOCK_NAME``, and a system pcscd is never touched.

libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process, so every private
pcscd of one process uses the same directory (``run_dir()``), one at a time.

The vpcd driver listens on TCP port P (slot ``00 00``) and P+1 (slot
``00 01``); the virtual card connects to P as a client.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

VPCD_DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
READER_PREFIX = "cccd-test vpcd"


class HarnessError(RuntimeError):
    """The private PC/SC stack could not be started; the message says why."""


def run_dir() -> Path:
    """This process's private /run directory (fixed, because libpcsclite caches the socket name)."""
    return Path(tempfile.gettempdir()) / f"cccd-pcscd-{os.getpid()}"


def socket_path() -> Path:
    return run_dir() / "pcscd" / "pcscd.comm"


def use_private_socket() -> str:
    """Point this process's PC/SC client at the private socket; call before any pyscard use."""
    path = str(socket_path())
    os.environ["PCSCLITE_CSOCK_NAME"] = path
    return path


def _remove_stale_dirs() -> None:
    """Leftovers of test processes that died without teardown (their pid is gone)."""
    for path in Path(tempfile.gettempdir()).glob("cccd-pcscd-*"):
        pid = path.name.removeprefix("cccd-pcscd-").split(".")[0]
        if not pid.isdigit() or int(pid) == os.getpid() or Path(f"/proc/{pid}").exists():
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def free_port_pair(host: str = "127.0.0.1") -> int:
    """A port P with P and P+1 both free (vpcd opens one listener per slot)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            for p in (port, port + 1):
                with socket.socket() as t:
                    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    t.bind(("0.0.0.0", p))
        except OSError:
            continue
        return port
    raise HarnessError("No free pair of local TCP ports was found for vpcd.")


def die_with_parent() -> None:
    """``preexec_fn``: the child gets SIGTERM if the test process dies without its teardown
    (Linux PR_SET_PDEATHSIG, kept across exec), so no pcscd or card is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def stop_process(proc: subprocess.Popen | None, timeout: float = 3.0) -> None:
    """Terminate one process we started, by its pid; kill it if it does not stop in time."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
    except ProcessLookupError:
        pass


class PrivatePcscd:
    """``with PrivatePcscd() as pcscd:`` -> a running pcscd with one vpcd reader on a free port."""

    def __init__(self, *, startup_timeout: float = 10.0) -> None:
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.dir = run_dir()
        self.log_path = self.dir.parent / f"{self.dir.name}.log"
        self.conf_path = self.dir.parent / f"{self.dir.name}.conf"

    @property
    def reader_name(self) -> str:
        """The reader the virtual card on ``port`` appears in."""
        return f"{READER_PREFIX} 00 00"

    @property
    def socket(self) -> str:
        return str(socket_path())

    def start(self) -> PrivatePcscd:
        for tool in ("pcscd", "unshare"):
            if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
                raise HarnessError(f"{tool} is not installed.")
        if not VPCD_DRIVER.exists():
            raise HarnessError("The vpcd driver (vsmartcard-vpcd) is not installed.")
        use_private_socket()
        _remove_stale_dirs()
        last = ""
        for _ in range(3):  # a port taken between our probe and vpcd's bind: try another
            self.port = free_port_pair()
            self._launch()
            try:
                self._wait_ready()
                return self
            except HarnessError as exc:
                last = str(exc)
                self.stop()
        raise HarnessError(f"pcscd did not start: {last}")

    def _launch(self) -> None:
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)
        self.conf_path.write_text(
            f'FRIENDLYNAME "{READER_PREFIX}"\n'
            f"DEVICENAME   /dev/null:{self.port}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    {self.port}\n"
        )
        pcscd = shutil.which("pcscd") or "/usr/sbin/pcscd"
        inner = (
            f"mount --bind '{self.dir}' /run && "
            f"exec '{pcscd}' --foreground --info -c '{self.conf_path}'"
        )
        # Root makes a plain mount namespace; anyone else needs a user namespace for it.
        ns = (
            ["unshare", "-m", "--propagation", "private"]
            if os.geteuid() == 0
            else ["unshare", "-r", "-m", "--propagation", "private"]
        )
        env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
        with open(self.log_path, "wb") as log:
            # unshare and sh exec in place: proc.pid is pcscd's own pid.
            self.proc = subprocess.Popen(
                [*ns, "sh", "-c", inner],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                preexec_fn=die_with_parent,
            )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError(
                    f"pcscd exited with code {self.proc.returncode}: {self.log_tail()}"
                )
            log = self.log_text()
            if "init failed" in log or "Could not initialize" in log:
                raise HarnessError(f"the vpcd reader did not start on port {self.port}")
            if "daemon ready" in log and socket_path().exists():
                if self.reader_names():
                    return
            time.sleep(0.05)
        raise HarnessError(
            f"pcscd was not ready within {self.startup_timeout:.0f} s: {self.log_tail()}"
        )

    def reader_names(self) -> list[str]:
        from smartcard import scard

        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return []
        try:
            hresult, names = scard.SCardListReaders(ctx, [])
            return list(names) if hresult == scard.SCARD_S_SUCCESS else []
        finally:
            scard.SCardReleaseContext(ctx)

    def card_present(self, reader: str | None = None) -> bool:
        from smartcard import scard

        reader = reader or self.reader_name
        hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            return False
        try:
            hresult, states = scard.SCardGetStatusChange(
                ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)]
            )
            return hresult == scard.SCARD_S_SUCCESS and bool(
                states[0][1] & scard.SCARD_STATE_PRESENT
            )
        finally:
            scard.SCardReleaseContext(ctx)

    def wait_card(self, present: bool = True, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.card_present() == present:
                return
            time.sleep(0.05)
        raise HarnessError(
            f"the reader did not show the card {'inserted' if present else 'removed'} "
            f"within {timeout:.0f} s"
        )

    def log_text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 8) -> str:
        return " | ".join(self.log_text().strip().splitlines()[-lines:])

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
        for path in (self.conf_path, self.log_path):
            path.unlink(missing_ok=True)

    def __enter__(self) -> PrivatePcscd:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
