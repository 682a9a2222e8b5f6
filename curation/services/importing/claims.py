"""The run's claims in little memory: article identity -> the number of the file that named
it first (its place in the run's discovery order), for planning.RunClaims.

A run of 1,000,000 files kept a dict of identity strings to paths (bench/README.md, "Run
claims": the figures). An identity is a SHA-256 hex digest (seedformat.url_key, body_key),
so its 32 bytes are kept, the real identity, packed one after another in a bytearray; a
table of open addressing, an array of 32-bit claim numbers, finds them by the digest's hash.
A hash shared by two identities is only where the search starts: a claim is the same
article only when its 32 bytes are the same, so a collision never fails a file.

The hash is Python's own for bytes (SipHash, keyed per process, what a dict of them would
use), so seed files written to make their identities collide in the table cost no more
than in the dict this replaces. An identity of any other shape (a key from an older row an
edited URL points at) goes to a plain dict: there are few.
"""

import re
from array import array

_is_digest = re.compile(r"[0-9a-f]{64}").fullmatch
_SIZE = 32
_FIRST_SLOTS = 1 << 10


class ClaimTable:
    """identity -> file number; the first file number given for an identity stays."""

    def __init__(self):
        self._digests = bytearray()  # claim c's identity at [32c, 32c + 32)
        self._files = array("I")  # claim c's file number (4 bytes: no run has 4 billion files)
        self._slots = array("I", bytes(4 * _FIRST_SLOTS))  # claim number + 1; 0 is empty
        self._others = {}

    def __len__(self):
        return len(self._files) + len(self._others)

    def claim(self, identity, file_number):
        """The number of the file that stands for `identity`: `file_number` when it is the
        first to name it, else the earlier file's."""
        if not _is_digest(identity):
            return self._others.setdefault(identity, file_number)
        digest = bytes.fromhex(identity)
        slots, digests = self._slots, self._digests
        mask = len(slots) - 1
        slot = hash(digest) & mask
        while taken := slots[slot]:
            start = (taken - 1) * _SIZE
            if digests[start : start + _SIZE] == digest:
                return self._files[taken - 1]
            slot = (slot + 1) & mask
        digests += digest
        self._files.append(file_number)
        slots[slot] = claims = len(self._files)
        if 2 * claims > len(slots):  # at most half full: searches stay short
            self._grow()
        return file_number

    def _grow(self):
        slots = array("I", bytes(4 * 2 * len(self._slots)))
        mask = len(slots) - 1
        digests = self._digests
        for claim in range(len(self._files)):
            slot = hash(bytes(digests[claim * _SIZE : (claim + 1) * _SIZE])) & mask
            while slots[slot]:
                slot = (slot + 1) & mask
            slots[slot] = claim + 1
        self._slots = slots
