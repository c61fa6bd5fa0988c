"""The JVM that PySpark or PyFlink starts as a child of the job's process, held the same way by
both example jobs: started with SIGTERM ignored, and ended by the job.

The harness sends SIGTERM to the whole process group, so the JVM gets it at the same time as the
job. Left to itself it would run its shutdown hooks and tear Spark or Flink down under the
running query while the job stops it gracefully. A signal that is ignored when a program starts
stays ignored (HotSpot then installs no handler for it), so the JVM leaves the stop to the job.
"""

from __future__ import annotations

import signal
import subprocess
from typing import Any, Callable

from vitals_contract import log

Popen = Callable[..., "subprocess.Popen[bytes]"]


def popen_ignoring_sigterm(original_popen: Popen, started: Callable[["subprocess.Popen[bytes]"], None]) -> Popen:
    """A stand-in for the launcher's Popen that adds ignoring SIGTERM to the child's preexec_fn
    and hands each process started to `started`."""

    def popen(*args: Any, **kwargs: Any) -> "subprocess.Popen[bytes]":
        inner = kwargs.get("preexec_fn")

        def preexec() -> None:
            if inner is not None:
                inner()
            signal.signal(signal.SIGTERM, signal.SIG_IGN)

        kwargs["preexec_fn"] = preexec
        proc = original_popen(*args, **kwargs)
        started(proc)
        return proc

    return popen


def wait_or_kill(proc: "subprocess.Popen[bytes]", timeout_s: float, name: str) -> None:
    """Wait for the JVM to exit; kill it after timeout_s (at once, and silently, with 0)."""
    if proc.poll() is not None:
        return
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        if timeout_s > 0:
            log(f"the {name} JVM (pid {proc.pid}) did not exit within {timeout_s:g} s: killing it")
        proc.kill()
        proc.wait()
