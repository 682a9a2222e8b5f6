"""Pure computation spread over forked copies of this process.

`forked_map(function, parts)` is `[function(part) for part in parts]` with every part after
the first computed in a child forked for it, while this process computes the first: the
children share, copy-on-write, everything this process holds (features, candidates), so
nothing is sent to them; each sends back its result, pickled, through a pipe.

For work that reads memory only: a child never touches the database connection, files or
sockets it inherits (it ends with `os._exit`, which closes nothing and flushes nothing). A
child that fails, dies or falls silent costs time, never the result: its part is computed
here instead. Where fork is missing, or only one CPU is ours, everything runs here.
"""

import ctypes
import logging
import os
import pickle
import select
import signal
import sys
import time

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
# A child's part takes about as long as this process's own; past this many times as long
# (and this many seconds at least) it is taken to be stuck and its part is computed here.
SLOWER_THAN_OURS = 20
AT_LEAST_SECONDS = 60.0


def die_with_parent(parent_pid):
    """Make the kernel end this process when its parent ends, however it ends (kill -9
    included); elsewhere than Linux, a caller's own checks do it a little later."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
            pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


def usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def in_parts(items, weights, count):
    """`items` in at most `count` consecutive parts of about equal total weight."""
    total = sum(weights)
    if count < 2 or total <= 0:
        return [items]
    parts, current, done = [], [], 0
    for item, weight in zip(items, weights, strict=True):
        current.append(item)
        done += weight
        if len(parts) < count - 1 and done >= total * (len(parts) + 1) / count:
            parts.append(current)
            current = []
    return [*parts, current] if current else parts


def forked_map(function, parts):
    """[function(part) for part in parts], the parts after the first in forked children."""
    parts = list(parts)
    if len(parts) < 2 or not hasattr(os, "fork"):
        return [function(part) for part in parts]
    parent = os.getpid()
    children = []
    try:
        for part in parts[1:]:
            children.append((_fork(function, part, parent), part))
        started = time.monotonic()
        results = [function(parts[0])]
        patience = max(AT_LEAST_SECONDS, SLOWER_THAN_OURS * (time.monotonic() - started))
        deadline = time.monotonic() + patience
        while children:
            (pid, pipe), part = children.pop(0)
            outcome = _collect(pid, pipe, deadline)
            results.append(function(part) if outcome is None else outcome)
        return results
    finally:
        # Interrupted (Ctrl-C, an error in this process's own part): the children still
        # working are of no use; they are ended, not waited for.
        for (pid, pipe), _ in children:
            os.kill(pid, signal.SIGKILL)
            os.close(pipe)
            os.waitpid(pid, 0)


def _fork(function, part, parent):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, vanish
        status = 1
        try:
            os.close(read_end)
            die_with_parent(parent)
            # Ctrl-C and SIGTERM are the parent's to handle: it ends its children.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            payload = pickle.dumps(function(part), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as out:
                out.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _collect(pid, pipe, deadline):
    """A child's result, or None (it failed, died or ran past the deadline: it is ended)."""
    pieces = []
    try:
        while True:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([pipe], [], [], wait)[0]:
                logger.warning("forked child %s ran past its deadline; its part is computed here", pid)
                os.kill(pid, signal.SIGKILL)
                return None
            piece = os.read(pipe, 1 << 20)
            if not piece:
                break
            pieces.append(piece)
    except BaseException:  # interrupted while waiting: the child's result is of no use
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(pipe)
        _, status = os.waitpid(pid, 0)
    if status != 0:
        logger.warning("forked child %s failed (status %s); its part is computed here", pid, status)
        return None
    return pickle.loads(b"".join(pieces))
