"""Start and stop a throw-away one-node SLURM cluster on localhost, for tests.

:class:`LocalSlurmCluster` writes ``/etc/slurm/slurm.conf`` (the SLURM
executor plugin clears ``SLURM_CONF`` inside jobs, so the configuration must
live at the default path), starts its own ``munged`` (key, socket and logs in a
work directory, so a system munge is left alone), then ``slurmctld`` and
``slurmd`` in foreground mode as children of this process, and waits until
``sinfo`` reports the node idle.  :meth:`LocalSlurmCluster.stop` cancels the
jobs left in the queue, stops the three daemons **by their PIDs** and puts back
whatever ``/etc/slurm/slurm.conf`` was there before (or removes it).

It refuses to start, with a :class:`ClusterError` that says why, when the
binaries are missing (run ``.ci/install-slurm.sh``), when it is not root, or
when a SLURM daemon already runs on this machine (it never fights another
cluster).  Usable by hand too::

    python tests/slurm_cluster.py start /tmp/slurm-work   # Ctrl-C (or kill PID) stops it
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Self

__all__ = ["ClusterError", "LocalSlurmCluster", "interrupt_on_sigterm", "missing_binaries",
           "running_slurm_daemons"]

SLURM_CONF = Path("/etc/slurm/slurm.conf")
PARTITION = "debug"
MARKER = "# written by w2v tests/slurm_cluster.py"
LOCK_FILE = Path(tempfile.gettempdir()) / "w2v-slurm-cluster.lock"
BINARIES = ("munged", "slurmctld", "slurmd", "sinfo", "squeue", "sbatch", "scancel", "srun")
DAEMON_NAMES = ("slurmctld", "slurmd", "slurmstepd")
CONTROLLER_PORT = 6817
NODE_PORT = 6818
INSTALL_HINT = "run .ci/install-slurm.sh (as root) to install slurm-wlm and munge"


class ClusterError(RuntimeError):
    """The local cluster cannot be started (or stopped); the message says why."""


def _which(name: str) -> str | None:
    """Find ``name`` on PATH or in the sbin directories (not always on a user's PATH)."""
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin:/usr/local/sbin"
    return shutil.which(name, path=path)


def interrupt_on_sigterm(signum, frame):
    """Signal handler: turn SIGTERM into KeyboardInterrupt, so ``stop()`` still runs."""
    raise KeyboardInterrupt


def missing_binaries() -> list[str]:
    """Return the SLURM/munge programs that cannot be found (empty when all are there)."""
    return [name for name in BINARIES if _which(name) is None]


def running_slurm_daemons() -> dict[int, str]:
    """Return ``{pid: name}`` of the SLURM daemons running on this machine (read from /proc)."""
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if name in DAEMON_NAMES:
            found[int(entry.name)] = name
    return found


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def node_hardware() -> dict[str, str]:
    """Parse ``slurmd -C`` (the node line) into ``{key: value}``; drop ``UpTime``."""
    out = subprocess.run([_which("slurmd") or "slurmd", "-C"], check=True,
                         capture_output=True, text=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("NodeName=")), None)
    if line is None:
        raise ClusterError(f"slurmd -C printed no NodeName line: {out!r}")
    fields = dict(item.split("=", 1) for item in line.split())
    fields.pop("UpTime", None)
    return fields


def render_config(workdir: Path, node: dict[str, str]) -> str:
    """Return the text of ``slurm.conf`` for one node ``node`` with state under ``workdir``."""
    node = dict(node)
    name = node.pop("NodeName")
    hw = " ".join(f"{k}={v}" for k, v in node.items())
    return f"""{MARKER}; state and logs in {workdir}
ClusterName=w2vtest
SlurmctldHost=localhost
SlurmctldPort={CONTROLLER_PORT}
SlurmdPort={NODE_PORT}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={workdir}/munge/munge.socket.2
StateSaveLocation={workdir}/state
SlurmdSpoolDir={workdir}/spool
SlurmctldPidFile={workdir}/slurmctld.pid
SlurmdPidFile={workdir}/slurmd.pid
SlurmctldLogFile={workdir}/log/slurmctld.log
SlurmdLogFile={workdir}/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
KillWait=5
MinJobAge=300
Waittime=0
NodeName={name} NodeAddr=127.0.0.1 {hw} State=UNKNOWN
PartitionName={PARTITION} Nodes={name} Default=YES MaxTime=INFINITE State=UP
"""


class LocalSlurmCluster:
    """A one-node SLURM cluster on localhost whose state lives in ``workdir``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    ``ready_timeout`` bounds the wait for the node to become idle.
    """

    def __init__(self, workdir: str | os.PathLike, *, ready_timeout: float = 60.0):
        self.workdir = Path(workdir).resolve()
        self.ready_timeout = ready_timeout
        self.node_name: str | None = None
        self._procs: dict[str, subprocess.Popen] = {}
        self._old_conf: bytes | None = None
        self._wrote_conf = False
        self._lock_fh = None

    # -- checks ---------------------------------------------------------------
    def _preflight(self) -> None:
        missing = missing_binaries()
        if missing:
            raise ClusterError(f"SLURM is not installed (missing: {', '.join(missing)}); {INSTALL_HINT}")
        if os.geteuid() != 0:
            raise ClusterError("the local SLURM cluster must be started as root "
                               f"(it writes {SLURM_CONF}); run the SLURM tests as root")
        self._lock_fh = open(LOCK_FILE, "w")  # noqa: SIM115 -- held open while the cluster runs
        try:
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._release_lock()
            raise ClusterError(f"another test run holds the local SLURM cluster ({LOCK_FILE}); "
                               "wait for it to finish") from None
        daemons = running_slurm_daemons()
        if daemons:
            listing = ", ".join(f"{name} (pid {pid})" for pid, name in sorted(daemons.items()))
            self._release_lock()
            raise ClusterError(f"a SLURM cluster already runs on this machine: {listing}; "
                               "stop it first (a leftover of an interrupted test run can be "
                               "stopped with kill <pid>)")
        for port in (CONTROLLER_PORT, NODE_PORT):
            if _port_in_use(port):
                self._release_lock()
                raise ClusterError(f"port {port} on 127.0.0.1 is already in use (another SLURM?); "
                                   "free it before running the SLURM tests")
        if SLURM_CONF.exists():
            old = SLURM_CONF.read_bytes()
            # Our own file left by an interrupted run is simply replaced and removed later.
            self._old_conf = None if old.startswith(MARKER.encode()) else old

    def _release_lock(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    # -- start ----------------------------------------------------------------
    def start(self) -> Self:
        """Write the configuration, start munged, slurmctld and slurmd; wait for an idle node."""
        self._preflight()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        for sub in ("munge", "state", "spool", "log"):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir / "munge", 0o700)
        key = self.workdir / "munge" / "munge.key"
        if not key.exists():
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
            with os.fdopen(fd, "wb") as fh:
                fh.write(os.urandom(1024))

        node = node_hardware()
        self.node_name = node["NodeName"]
        SLURM_CONF.parent.mkdir(parents=True, exist_ok=True)
        tmp = SLURM_CONF.with_name(f".{SLURM_CONF.name}.tmp")
        tmp.write_text(render_config(self.workdir, node))
        os.replace(tmp, SLURM_CONF)
        self._wrote_conf = True

        mdir = self.workdir / "munge"
        self._spawn("munged", [_which("munged"), "--foreground", "--force",
                               f"--key-file={key}", f"--socket={mdir}/munge.socket.2",
                               f"--pid-file={mdir}/munged.pid", f"--log-file={mdir}/munged.log",
                               f"--seed-file={mdir}/munged.seed"])
        self._wait(lambda: (mdir / "munge.socket.2").exists(), 15, "munged did not create its socket")
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-i"])
        self._spawn("slurmd", [_which("slurmd"), "-D"])
        self._wait(self.node_idle, self.ready_timeout, f"node {self.node_name} did not become idle")

    def _spawn(self, name: str, argv: list[str]) -> None:
        # New session: the daemons do not receive the terminal's Ctrl-C before we stop them.
        with open(self.workdir / "log" / f"{name}.out", "wb") as log:
            self._procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                                 stdin=subprocess.DEVNULL, start_new_session=True)

    def node_idle(self) -> bool:
        """Whether ``sinfo`` reports this cluster's node idle."""
        res = subprocess.run(["sinfo", "-h", "-N", "-o", "%N %t"], capture_output=True, text=True,
                             check=False)
        states = dict(line.split() for line in res.stdout.splitlines() if line.strip())
        return states.get(self.node_name, "").rstrip("*~#") == "idle"

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self._procs.items():
                if proc.poll() is not None:
                    raise ClusterError(f"{name} exited with status {proc.returncode} while starting; "
                                       f"{self._log_tail()}")
            if ready():
                return
            time.sleep(0.5)
        raise ClusterError(f"{what} within {timeout:.0f} s; {self._log_tail()}")

    def _log_tail(self, lines: int = 5) -> str:
        parts = []
        for log in sorted((self.workdir / "log").glob("*")) + sorted((self.workdir / "munge").glob("*.log")):
            with contextlib.suppress(OSError):
                tail = log.read_text(errors="replace").splitlines()[-lines:]
                if tail:
                    parts.append(f"{log.name}: " + " | ".join(tail))
        return "logs: " + (" ;; ".join(parts) if parts else f"none in {self.workdir}")

    # -- use ------------------------------------------------------------------
    @property
    def pids(self) -> dict[str, int]:
        """``{daemon name: pid}`` of the daemons this cluster started and that still run."""
        return {name: proc.pid for name, proc in self._procs.items() if proc.poll() is None}

    def jobs(self) -> list[dict[str, str]]:
        """Return the jobs ``squeue`` shows: dicts with ``id``, ``name``, ``state``, ``comment``."""
        res = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i|%j|%T|%k"],
                             capture_output=True, text=True, check=True)
        rows = []
        for line in res.stdout.splitlines():
            if line.strip():
                jid, name, state, comment = line.split("|", 3)
                rows.append({"id": jid, "name": name, "state": state, "comment": comment})
        return rows

    # -- stop -----------------------------------------------------------------
    def stop(self) -> None:
        """Cancel queued/running jobs, stop the daemons by PID, restore ``slurm.conf``."""
        if "slurmctld" in self._procs and self._procs["slurmctld"].poll() is None:
            with contextlib.suppress(Exception):
                ids = [j["id"] for j in self.jobs() if j["state"] in ("PENDING", "RUNNING", "CONFIGURING",
                                                                     "COMPLETING", "SUSPENDED")]
                if ids:
                    subprocess.run(["scancel", *ids], capture_output=True, timeout=20, check=False)
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline and any(
                            j["state"] in ("RUNNING", "COMPLETING", "CONFIGURING") for j in self.jobs()):
                        time.sleep(0.5)
        for name in ("slurmd", "slurmctld", "munged"):
            proc = self._procs.pop(name, None)
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._wrote_conf:
            if self._old_conf is not None:
                SLURM_CONF.write_bytes(self._old_conf)
            else:
                with contextlib.suppress(FileNotFoundError):
                    SLURM_CONF.unlink()
            self._wrote_conf = False
        self._release_lock()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "start":
        print("usage: python tests/slurm_cluster.py start WORKDIR", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, interrupt_on_sigterm)   # `kill PID` stops the daemons too
    with LocalSlurmCluster(argv[1]) as cluster:
        print(f"cluster up: node {cluster.node_name}, partition {PARTITION}; Ctrl-C stops it",
              file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
