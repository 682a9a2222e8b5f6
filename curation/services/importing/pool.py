"""Worker processes that parse seed files, so that no file can stop an import.

- a worker that dies (a crash in C code, the CPU timer of parsing.py, the OOM killer) or
  stops answering is replaced, and the chunk of files it was parsing is parsed again one
  file per fresh process, so the file that kills its parser is named ("the YAML parser
  crashed (signal 11, SIGSEGV)") and the others are parsed as usual;
- workers die with the importer: PR_SET_PDEATHSIG on Linux, and a check of the parent
  before each file everywhere; they ignore Ctrl-C and SIGTERM, which the importer handles
  (it ends them);
- files travel in chunks (CHUNK_SIZE files or CHUNK_BYTES), one message each way a chunk.
"""

import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from multiprocessing.connection import wait

from curation.forking import die_with_parent
from curation.services.importing.parsing import (
    DEFAULT_TIMEOUT,
    InProcessParser,
    hard_limit,
    parse_within,
    raise_timeout,
    timeout_reason,
)

logger = logging.getLogger(__name__)

# Workers run at the importer's priority: parsing is the import's critical path (the writer
# mostly waits for parsed files), and on a busy machine niced workers got almost none of the
# CPU (CFS weighs nice 19 at 1.5 % of nice 0). To make a whole import yield to a web server,
# start it with `nice`: its workers inherit that.
CHUNK_SIZE = 25
CHUNK_BYTES = 256 * 1024
# Linux lets an unprivileged process grow a pipe to 1 MB. The importer never sends a worker
# more than its pipe holds unread (IN_FLIGHT_BYTES), so a send never waits for a worker that
# gets little CPU.
PIPE_BYTES = 1 << 20
IN_FLIGHT_BYTES = 768 * 1024
# Beyond the per-file limits, before the importer gives up on a silent worker.
GRACE_SECONDS = 10.0
def _worker_main(tasks, results, parent_pid, limits, timeout, describe, inherited):
    """A worker: chunks in, results out, until told to stop or the importer is gone.

    Two threads move the messages, so the parse never waits for the importer to read
    (it reads only between database writes) and the importer never waits for a parse to
    take its next chunk."""
    die_with_parent(parent_pid)
    for connection in inherited:  # other workers' pipe ends, forked along with the importer
        connection.close()
    # Ctrl-C, and SIGTERM sent to the whole group (systemd, `timeout`), are the importer's to
    # handle: it rolls back its batch and ends the workers. A worker ended by the signal first
    # would be taken for a parser crash, and its files failed for it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, raise_timeout)
    inbox, outbox, cancelled = queue.SimpleQueue(), queue.SimpleQueue(), set()
    threading.Thread(target=_receive, args=(tasks, inbox, cancelled), daemon=True).start()
    sender = threading.Thread(target=_send, args=(results, outbox), daemon=True)
    sender.start()
    while (task := inbox.get()) is not None:
        sequence, chunk_id, payloads = task
        if sequence in cancelled:  # another worker took it over (see ParsePool._steal)
            cancelled.discard(sequence)
            continue
        parsed = []
        for index, data in payloads:
            if os.getppid() != parent_pid:
                os._exit(0)
            parsed.append((index, parse_within(data, limits, timeout, hard=True, describe=describe)))
        outbox.put((chunk_id, parsed))
    outbox.put(None)
    sender.join()
    os._exit(0)


def _receive(connection, inbox, cancelled):
    try:
        while True:
            message = connection.recv()
            if message is not None and message[0] == "cancel":
                cancelled.add(message[1])
            else:
                inbox.put(message)
    except (EOFError, OSError):
        inbox.put(None)


def _send(connection, outbox):
    try:
        while (message := outbox.get()) is not None:
            connection.send(message)
    except OSError:
        os._exit(0)


def _size(payloads):
    return sum(len(data) for _, data in payloads)


def _grow_pipe(connection):
    try:
        import fcntl

        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # not Linux, or over the system's pipe-max-size
        pass


class _Worker:
    def __init__(self, pool):
        context = multiprocessing.get_context("fork")
        task_reader, self.tasks = context.Pipe(duplex=False)
        self.results, result_writer = context.Pipe(duplex=False)
        for connection in (self.tasks, self.results):
            _grow_pipe(connection)
        inherited = [end for worker in pool.workers for end in (worker.tasks, worker.results)]
        self.process = context.Process(
            target=_worker_main,
            args=(
                task_reader,
                result_writer,
                os.getpid(),
                pool.limits,
                pool.timeout,
                pool.describe,
                [self.tasks, self.results, *inherited],
            ),
            daemon=True,
        )
        self.process.start()
        task_reader.close()
        result_writer.close()
        self.timeout = pool.timeout
        self.outstanding = deque()  # chunks sent and not answered: (chunk_id, payloads)
        # Each message's own number, which a cancel names: the same chunk may come back to a
        # worker later (a copy), and a cancel meant for the first must not skip the second.
        self.sequence = itertools.count()
        self.sent_as = {}
        self.in_flight = 0  # their bytes
        self.busy_since = None  # when the first of them was seen to start, at the latest

    def has_room(self, payloads):
        return not self.outstanding or self.in_flight + _size(payloads) <= IN_FLIGHT_BYTES

    def answered(self, chunk_id):
        """Forget an answered (or taken over) chunk; True if it was this worker's."""
        for position, (outstanding_id, payloads) in enumerate(self.outstanding):
            if outstanding_id == chunk_id:
                del self.outstanding[position]
                self.sent_as.pop(chunk_id, None)
                self.in_flight -= _size(payloads)
                if position == 0:
                    self.busy_since = time.monotonic()
                return True
        return False

    def take_back_last(self):
        chunk_id, payloads = self.outstanding.pop()
        self.in_flight -= _size(payloads)
        return chunk_id, payloads

    def send(self, chunk_id, payloads):
        if not self.outstanding:
            self.busy_since = time.monotonic()
        self.outstanding.append((chunk_id, payloads))
        self.in_flight += _size(payloads)
        self.sent_as[chunk_id] = sequence = next(self.sequence)
        self.tasks.send((sequence, chunk_id, payloads))

    def cancel(self, chunk_id, sequence):
        """Tell the worker to skip a chunk it may not have started (see ParsePool._steal)."""
        try:
            self.tasks.send(("cancel", sequence))
        except OSError:
            pass

    def deadline(self):
        """When the chunk in progress is overdue: its files' hard limits, and some grace."""
        return self.busy_since + len(self.outstanding[0][1]) * hard_limit(self.timeout) + GRACE_SECONDS

    def shut_down(self):
        """After the stop message: let it finish, or end it if it does not within seconds."""
        self.process.join(timeout=5)
        self._end()

    def end(self, *, overdue):
        """Make sure the process is gone; returns why it stopped answering, as a file's reason.

        A worker found dead (its pipe closed) is given a moment to exit, for its status;
        one found overdue, or still there after that moment, is killed and has timed out."""
        if not overdue:
            self.process.join(timeout=2)
        overdue = overdue or self.process.is_alive()
        self._end()
        code = self.process.exitcode
        if overdue or code == -signal.SIGPROF:
            return timeout_reason(self.timeout)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = "unknown signal"
            if -code == signal.SIGKILL:
                return f"the YAML parser was killed (signal {-code}, {name}; out of memory?)"
            return f"the YAML parser crashed (signal {-code}, {name})"
        return f"the YAML parser process exited with status {code}"

    def _end(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        for connection in (self.tasks, self.results):
            connection.close()


class ParsePool:
    """Worker processes that parse chunks of files; see the module docstring."""

    def __init__(self, workers, *, limits, timeout=DEFAULT_TIMEOUT, describe=None, prepare=None):
        self.size = workers
        self.limits = limits
        self.timeout = timeout
        self.describe = describe
        # Called once, before the first worker starts: the workers inherit what it loads.
        self.prepare = prepare
        self.workers = []
        self.ids = itertools.count()
        self.pending = deque()  # chunks no worker has yet: (chunk_id, payloads)
        self.copied = set()  # chunks a second worker parses too (see _steal)
        self.done = {}  # chunk id -> [(index, outcome)]

    def submit(self, payloads):
        """Start parsing; returns a callable that returns the results, in order, when called."""
        chunk_ids = []
        chunk, chunk_bytes = [], 0
        for item in payloads:
            chunk.append(item)
            chunk_bytes += len(item[1])
            if len(chunk) == CHUNK_SIZE or chunk_bytes >= CHUNK_BYTES:
                chunk_ids.append(self._queue(chunk))
                chunk, chunk_bytes = [], 0
        if chunk:
            chunk_ids.append(self._queue(chunk))
        self._dispatch()
        return lambda: self._collect(chunk_ids)

    def close(self):
        for worker in self.workers:
            try:
                worker.tasks.send(None)
            except OSError:
                pass
        for worker in self.workers:
            if worker.outstanding:
                worker.end(overdue=True)
            else:
                worker.shut_down()
        self.workers = []

    def _queue(self, chunk):
        chunk_id = next(self.ids)
        self.pending.append((chunk_id, chunk))
        return chunk_id

    def _dispatch(self):
        """Hand pending chunks to the workers with the fewest bytes in hand (starting
        workers as needed, but none before there is a file to parse), as far as their
        pipes hold them unread."""
        if not self.workers:
            if not self.pending:
                return
            if self.prepare is not None:
                prepare, self.prepare = self.prepare, None
                prepare()
        while len(self.workers) < self.size:
            self.workers.append(_Worker(self))
        while self.pending:
            chunk_id, payloads = self.pending[0]
            worker = min(self.workers, key=lambda worker: worker.in_flight)
            if not worker.has_room(payloads):
                return
            self.pending.popleft()
            try:
                worker.send(chunk_id, payloads)
            except OSError:
                return  # it died since its last answer; its chunks are dealt with when that is noticed

    def pump(self):
        """Without waiting: take the answers that are in and hand out pending chunks. The
        writer calls it between its statements, so workers that finished what they held
        get more while a batch is written, not only when the writer waits for one.

        A worker found dead or overdue is left for _collect to replace: the writer may be
        inside a transaction."""
        if not self.workers:
            return
        alive = [self._take_answers(worker) for worker in self.workers if worker.outstanding]
        if all(alive):
            self._dispatch()

    def _collect(self, chunk_ids):
        while any(chunk_id not in self.done for chunk_id in chunk_ids):
            self._dispatch()
            self._steal({chunk_id for chunk_id in chunk_ids if chunk_id not in self.done})
            busy = [worker for worker in self.workers if worker.outstanding]
            deadline = min(worker.deadline() for worker in busy)
            wait([worker.results for worker in busy], timeout=max(0.0, deadline - time.monotonic()))
            for worker in busy:
                self._read(worker)
        return [item for chunk_id in chunk_ids for item in self.done.pop(chunk_id)]

    def _read(self, worker):
        """Take whatever this worker has answered; replace it if it died or is overdue."""
        if not self._take_answers(worker):
            self._replace(worker, overdue=False)
        elif worker.outstanding and time.monotonic() > worker.deadline():
            self._replace(worker, overdue=True)

    def _take_answers(self, worker):
        """Take the answers in this worker's pipe; False if it is closed (the worker died)."""
        try:
            while worker.results.poll():
                chunk_id, parsed = worker.results.recv()
                mine = worker.answered(chunk_id)
                # A chunk taken over or copied by another worker may be answered twice: the
                # first answer counts, and the other worker need not (or no longer) parse it.
                if mine and chunk_id not in self.done:
                    self.done[chunk_id] = parsed
                    self._forget_copies(chunk_id, worker)
        except (EOFError, OSError):
            return False
        return True

    def _steal(self, waiting_for):
        """With nothing pending, a worker with nothing to do helps another: one worker may
        get far less of the CPU than another on a busy machine. It takes the chunks the
        other has not started, from the back of its queue; failing those, it parses a copy
        of the chunk the other has in hand, if the importer waits for it, and the first
        answer counts (a stalled worker's last chunk is the whole import's critical path)."""
        if self.pending:
            return
        for idle in [worker for worker in self.workers if not worker.outstanding]:
            while len(idle.outstanding) < 2:
                donor = max(self.workers, key=lambda worker: len(worker.outstanding))
                if len(donor.outstanding) < 2:
                    break
                chunk_id, payloads = donor.take_back_last()
                donor.cancel(chunk_id, donor.sent_as.pop(chunk_id))
                try:
                    idle.send(chunk_id, payloads)
                except OSError:
                    self.pending.appendleft((chunk_id, payloads))
                    return
            if idle.outstanding:
                continue
            in_hand = [
                worker.outstanding[0]
                for worker in self.workers
                if worker.outstanding
                and worker.outstanding[0][0] in waiting_for
                and worker.outstanding[0][0] not in self.copied
            ]
            if in_hand:
                chunk_id, payloads = in_hand[0]
                self.copied.add(chunk_id)
                try:
                    idle.send(chunk_id, payloads)
                except OSError:
                    return

    def _forget_copies(self, chunk_id, answered_by):
        """The chunk is answered: whoever else holds it drops it (or skips it, if not started)."""
        self.copied.discard(chunk_id)
        for worker in self.workers:
            sequence = worker.sent_as.get(chunk_id)
            if worker is not answered_by and worker.answered(chunk_id):
                worker.cancel(chunk_id, sequence)

    def _replace(self, worker, *, overdue):
        """The worker died or hangs: its chunk in progress is parsed again one file per
        process to find the culprit; the chunks it had not started go back to the queue."""
        reason = worker.end(overdue=overdue)
        self.workers.remove(worker)
        if not worker.outstanding:
            return
        chunk_id, payloads = worker.outstanding.popleft()
        self.pending.extendleft(reversed(worker.outstanding))
        if chunk_id in self.copied and any(chunk_id in (i for i, _ in other.outstanding) for other in self.workers):
            return  # another worker parses a copy: if this chunk kills it too, it is isolated then
        logger.warning("a parse worker stopped (%s); parsing its %d files one by one", reason, len(payloads))
        self.done[chunk_id] = [(index, self._parse_alone(index, data)) for index, data in payloads]
        self._forget_copies(chunk_id, None)

    def _parse_alone(self, index, data):
        lone = _Worker(self)
        try:
            try:
                lone.send(0, [(index, data)])
            except OSError:
                return lone.end(overdue=False)
            wait([lone.results], timeout=hard_limit(self.timeout) + GRACE_SECONDS)
            try:
                if lone.results.poll():
                    return lone.results.recv()[1][0][1]
            except (EOFError, OSError):
                return lone.end(overdue=False)
            return lone.end(overdue=True)
        finally:
            lone.end(overdue=True)


# More parse workers than this gain nothing (the writer is one process) and cost a process
# and four pipe descriptors each: `--workers 100000` used to fork until the system refused.
MAX_WORKERS = 64


def default_workers():
    """A worker per core (at most 4)."""
    return min(os.cpu_count() or 1, 4)


def make_parser(workers, *, limits, timeout=DEFAULT_TIMEOUT, describe=None, prepare=None):
    """Parse seed files in `workers` processes (0: in this one); `describe` (see
    parse_and_describe) runs on each parsed file where it was parsed, and `prepare`, if
    given, once before the first file is parsed (before the workers fork: they share what
    it loads)."""
    if workers > 0:
        return ParsePool(workers, limits=limits, timeout=timeout, describe=describe, prepare=prepare)
    return InProcessParser(limits=limits, timeout=timeout, describe=describe, prepare=prepare)
