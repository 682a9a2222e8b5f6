"""A long run stopped part-way: Ctrl-C (SIGINT) and SIGTERM end it the same way.

SIGTERM is what systemd, `docker stop`, `kill` and `timeout` send. Python's default action for
it ends the process on the spot, silently (exit status 143), so a command stopped that way
said nothing of what it had written. `sigterm_raises()` makes SIGTERM raise `Terminated`
where the main thread is, as Python raises KeyboardInterrupt for Ctrl-C. `Terminated` is a
KeyboardInterrupt, so everything that already handles Ctrl-C handles it alike: the open
transaction is rolled back as the exception leaves it, psycopg cancels a query it is waiting
for, the import's parse workers are ended, and no `except Exception` swallows it.
"""

import os
import signal
import threading
from contextlib import contextmanager


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread (see the module docstring)."""

    signum = signal.SIGTERM


def interrupt_behind(exc):
    """The Ctrl-C or SIGTERM that `exc` was raised while handling, or None.

    A library's clean-up that runs as the interrupt passes can raise its own error in the
    interrupt's place: on PostgreSQL, a signal landing just after psycopg sent a COMMIT
    leaves that statement in progress, and Django's transaction end, resetting autocommit,
    then fails with "connection in transaction status ACTIVE". Taken for a database error,
    the import retried the batch file by file on that connection and stopped as if the
    database were gone (exit status 1). Handlers of database errors ask this first."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ if exc.__cause__ is not None else exc.__context__
    return None


def raise_interrupt_behind(exc):
    """Raise the interrupt behind `exc` (see interrupt_behind), if there is one."""
    if (interrupt := interrupt_behind(exc)) is not None:
        raise interrupt from None


def signal_name(exc):
    """How the run was stopped, as the operator knows it: 'Ctrl-C' or 'SIGTERM'."""
    return "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"


def exit_status(exc):
    """128 + the signal's number, what a shell reports for a process the signal ended: 143
    for SIGTERM, 130 for Ctrl-C."""
    return 128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT)


@contextmanager
def sigterm_raises():
    """Within the block, SIGTERM raises Terminated in this process's main thread.

    Only the first SIGTERM raises: a second one (systemd and `timeout` may send it to the
    whole process group, a user may press twice) would otherwise break into the rollback and
    clean-up the first one started. A process forked inside the block inherits the handler;
    there it does nothing, as that process's parent is the one that stops (the parse workers
    also ignore SIGTERM themselves, see importing/pool.py). Outside the main thread (an
    import started from a web request) signals cannot be handled, and nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()
    raised = False

    def stop(signum, frame):
        nonlocal raised
        if os.getpid() != owner or raised:
            return
        raised = True
        raise Terminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
