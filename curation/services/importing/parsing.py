"""Parsing one seed file under a time limit, wherever it is parsed.

Parsing is where untrusted bytes meet C code (libyaml), so the import parses in worker
processes it can lose without losing the import (pool.py). This module is what runs for
each file, in a worker or, with `workers=0`, in the importing process:

- every exception is one file's reason (seedformat.parse_one);
- a file that runs past the time limit (SEED_PARSE_TIMEOUT, 5 s) fails with that reason: a
  timer interrupts the parse between two Python operations, and, in a worker, a CPU-time
  timer with the default action ends the process should the parse be stuck inside C code.

With `workers=0` (`--workers 0`) the same checks and the timer apply, but a crash inside
libyaml, or a hang inside C code, would end the import (the batches already written stay
written). It is for debugging and for platforms without fork.
"""

import signal
import threading
from contextlib import contextmanager

from curation.seedformat import parse_one

DEFAULT_TIMEOUT = 5.0


class ParseTimeout(BaseException):
    """Raised by the timer inside a parse. A BaseException, so that no `except Exception`
    on the way can mistake it for the file's own error."""


def timeout_reason(timeout):
    return f"parsing took longer than {timeout:g} s (SEED_PARSE_TIMEOUT)"


def raise_timeout(signum, frame):
    raise ParseTimeout


def hard_limit(timeout):
    """CPU seconds after which a worker stuck in C code is ended by the kernel."""
    return 2 * timeout + 1


def parse_and_describe(data, limits, describe=None):
    """parse_one, and `describe(parsed)` on a file that parsed (extra facts computed where the
    text is, e.g. a story's features; it must not raise for any text)."""
    outcome = parse_one(data, limits)
    if describe is not None and not isinstance(outcome, str):
        describe(outcome)
    return outcome


def parse_within(data, limits, timeout, *, hard=False, describe=None):
    """parse_and_describe under the time limit (SIGALRM must already be routed to
    raise_timeout). `hard`: also arm the CPU-time timer whose default action ends the
    process (workers only)."""
    try:
        if hard:
            signal.setitimer(signal.ITIMER_PROF, hard_limit(timeout))
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            return parse_and_describe(data, limits, describe)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            if hard:
                signal.setitimer(signal.ITIMER_PROF, 0)
    except ParseTimeout:
        return timeout_reason(timeout)


# --- in this process --------------------------------------------------------------------


class InProcessParser:
    """`--workers 0`: parse here, at once, under the timer (see the module docstring)."""

    def __init__(self, *, limits, timeout=DEFAULT_TIMEOUT, describe=None, prepare=None):
        self.limits = limits
        self.timeout = timeout
        self.describe = describe
        self.prepare = prepare  # called once, before the first file is parsed

    def submit(self, payloads):
        limits, describe = self.limits, self.describe
        if payloads and self.prepare is not None:
            prepare, self.prepare = self.prepare, None
            prepare()
        with _timer_routed() as timed:
            if timed:
                results = [
                    (index, parse_within(data, limits, self.timeout, describe=describe)) for index, data in payloads
                ]
            else:
                results = [(index, parse_and_describe(data, limits, describe)) for index, data in payloads]
        return lambda: results

    def pump(self):
        pass

    def close(self):
        pass


@contextmanager
def _timer_routed():
    """Route SIGALRM to the parse timer; yields False where signals cannot be used (not the
    main thread, e.g. an import started from a web request), where files parse untimed."""
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    previous = signal.signal(signal.SIGALRM, raise_timeout)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
