"""Finding and reading seed files: what the import takes from disk, and how it names it.

Paths are Python strings as the operating system gives them (os.fsdecode: a byte that is
not UTF-8 is kept as a surrogate escape, so nothing is lost), and are shown everywhere
through `display_path`, which no file name can use to forge a line of a report.
"""

import hashlib
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from curation.seedformat.text import nul_byte_reason
from curation.seedformat.values import printable

SEED_SUFFIXES = {".txt", ".md"}
# A file larger than this is read in pieces of this size, each looked at for a NUL byte,
# which no seed file may hold: a file of gigabytes that is mostly holes (a sparse file reads
# as NULs) under a large --max-bytes is refused at its first piece, not read whole into
# memory, hashed and sent to a parse worker to be refused there.
READ_CHUNK = 1 << 20


class MissingPathError(ValueError):
    """An operator named a path that does not exist (a usage error, not a bad file)."""


class ImportOptionError(ValueError):
    """An option of the import out of its range (a usage error, not a bad file): `option`
    names it as the caller gave it (`max_bytes`, or the setting it came from), `problem`
    says what it must be."""

    def __init__(self, option, problem):
        super().__init__(f"{option} {problem}")
        self.option, self.problem = option, problem


def display_path(path):
    """A path as reports, stderr and the ledger show it: one line of printable text.

    Bytes that are not UTF-8 show as `\\xff`, control and other invisible characters
    (newline, escape, bidirectional overrides) as `\\n`, `\\x1b`, `\\u202e`, and a
    backslash as `\\\\`, so the text is unambiguous: two different names never show alike."""
    return printable(os.fsdecode(path))


def escape_controls(text):
    """A stored text (a reason, a path stored before display_path existed) for one line of
    output: its invisible characters escaped as display_path does (a reason may quote a key
    of the file's front matter), its backslashes as they are."""
    return printable(text, backslash=False)


@dataclass
class FoundFile:
    """A path to import; `root` is the real path of the folder it was found in (None for
    a file named on the command line), `error` why it is refused before it is read."""

    path: str
    root: str | None = None
    error: str | None = None


def discover_seed_files(paths, *, follow_links=False):
    """Expand files and folders into FoundFiles, in a stable order.

    A file named explicitly is taken whatever its name; inside folders only visible
    `*.txt` and `*.md` files are. Each real file is listed once, and a folder reached
    again through a symlink loop is not walked twice. A link inside a folder that leads
    out of it (to /etc/passwd, to another tree) is refused with a reason, unless
    `follow_links`; links that stay inside are followed. A folder that cannot be read is
    listed as a failure instead of being skipped in silence.
    """
    missing = [display_path(os.fspath(path)) for path in paths if not os.path.exists(path)]
    if missing:
        raise MissingPathError(f"no such file or folder: {', '.join(missing)}")
    found = []
    seen_files = set()
    # The links taken under some path, as themselves (a file's own entry is its identity in
    # `seen_files` already: keeping it twice cost the memory of that set again).
    taken_entries = set()

    def add(path, root):
        entry, is_link = _entry_identity(path)
        if entry in taken_entries or entry in seen_files:
            return
        if is_link:
            taken_entries.add(entry)
        try:
            info = os.stat(path)
        except OSError:
            found.append(FoundFile(path, root))  # reported as unreadable when it is read
            return
        identity = (info.st_dev, info.st_ino)
        if identity not in seen_files:
            seen_files.add(identity)
            found.append(FoundFile(path, root))

    for top in paths:
        top = os.fspath(top)
        if not os.path.isdir(top):
            add(top, None)
            continue
        root = os.path.realpath(top)
        seen_dirs = set()

        def unreadable(error, root=root):
            found.append(FoundFile(error.filename, root, f"folder cannot be read: {error.strerror or error}"))

        for folder, dirnames, filenames in _walk(top, unreadable):
            try:
                info = os.stat(folder)
            except OSError as error:
                unreadable(error)
                dirnames[:] = []
                continue
            if (info.st_dev, info.st_ino) in seen_dirs:
                dirnames[:] = []
                continue
            seen_dirs.add((info.st_dev, info.st_ino))
            kept = []
            for name in sorted(dirnames):
                if name.startswith("."):
                    continue
                refused = None if follow_links else _leads_out(os.path.join(folder, name), root, top)
                if refused:
                    found.append(refused)
                else:
                    kept.append(name)
            dirnames[:] = kept
            for name in sorted(filenames):
                if name.startswith(".") or Path(name).suffix.lower() not in SEED_SUFFIXES:
                    continue
                path = os.path.join(folder, name)
                refused = None if follow_links else _leads_out(path, root, top)
                if refused:
                    found.append(refused)
                else:
                    add(path, None if follow_links else root)
    return _listed_once(found, taken_entries)


def _entry_identity(path):
    """(the directory entry itself: a link, not what it leads to, by lstat, or its path when
    even that cannot be looked at; whether it is a link, or cannot be looked at)."""
    try:
        info = os.lstat(path)
    except OSError:
        return os.path.abspath(path), True
    return (info.st_dev, info.st_ino), stat.S_ISLNK(info.st_mode)


def _listed_once(found, taken_entries):
    """The refusals, each listed once, and none for an entry taken under another path.

    The same folder given twice (`seeds seeds/`) listed each refused link and each folder
    that cannot be read once per path, each one a failure of its own in the counts and the
    ledger; and with nested folders given together (`seeds seeds/2024`), a link in the inner
    one to a file of the outer one was taken under the outer and also refused as leading
    out of the inner. (`add` lists every other entry once.)"""
    listed, refused = [], set()
    for found_file in found:
        if found_file.error is not None:
            entry, _is_link = _entry_identity(found_file.path)
            if entry in taken_entries or entry in refused:
                continue
            refused.add(entry)
        listed.append(found_file)
    return listed


def _walk(top, onerror):
    """os.walk(top, followlinks=True, onerror=onerror), top-down, without recursion: Python
    3.11's os.walk recurses once a level, so a folder nested a thousand deep (any tree an
    attacker hands over) raised RecursionError and ended the import with a traceback. As
    with os.walk, the caller may prune or reorder `dirnames` in place before they are walked."""
    stack = [top]
    while stack:
        folder = stack.pop()
        dirnames, filenames = [], []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    try:
                        is_dir = entry.is_dir()  # through a link, as followlinks=True
                    except OSError:
                        is_dir = False
                    (dirnames if is_dir else filenames).append(entry.name)
        except OSError as error:
            onerror(error)
            continue
        yield folder, dirnames, filenames
        stack.extend(os.path.join(folder, name) for name in reversed(dirnames))


def _inside(target, root):
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _leads_out(path, root, top):
    """A FoundFile refusing `path` if it is a link whose target lies outside `root`."""
    if not os.path.islink(path):
        return None
    target = os.path.realpath(path)
    if _inside(target, root):
        return None
    return FoundFile(
        path,
        root,
        f"is a link to {display_path(target)}, outside {display_path(top)}; "
        "links that lead out of the folder are not followed (--follow-links follows them)",
    )


def _read_at_most(handle, size, max_bytes):
    """(up to max_bytes + 1 bytes of the file, None), or (None, the reason) at the first NUL
    byte. A small file is read with one call asking for the size fstat gave, not for the
    limit: read(limit) would allocate a buffer of the limit (2 MB) for every small file. A
    file that grew since fstat (or a short read) is read on, up to the limit."""
    chunks, length = [], 0
    want = min(size + 1, READ_CHUNK)
    while length <= max_bytes:
        chunk = handle.read(min(want, max_bytes + 1 - length))
        if not chunk:
            break
        if (nul := chunk.find(b"\x00")) != -1:
            return None, nul_byte_reason(length + nul)
        chunks.append(chunk)
        length += len(chunk)
        want = READ_CHUNK
    return b"".join(chunks), None


@dataclass
class SeedFile:
    path: str
    size: int | None = None
    sha256: str = ""
    data: bytes | None = None
    error: str | None = None


def read_seed_file(found, max_bytes):
    """Read and hash one file; refused, oversized, unreadable and special files (a FIFO
    would block the import forever) fail before parsing."""
    if isinstance(found, str):
        found = FoundFile(found)
    seed_file = SeedFile(path=found.path)
    if found.error:
        seed_file.error = found.error
        return seed_file
    try:
        if not stat.S_ISREG(os.stat(found.path).st_mode):
            seed_file.error = "is not a regular file"
            return seed_file
        # Non-blocking: if a FIFO took the file's place since the check, open returns at once.
        descriptor = os.open(found.path, os.O_RDONLY | os.O_NONBLOCK)
        with open(descriptor, "rb", buffering=0) as handle:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                seed_file.error = "is not a regular file"
                return seed_file
            if found.root is not None:
                # What was opened, not what the path named a moment ago: a link swapped in
                # after the folder was walked is caught here.
                opened = _opened_path(descriptor, found.path)
                if not _inside(opened, found.root):
                    seed_file.error = (
                        f"is a link to {display_path(opened)}, outside the folder; "
                        "links that lead out of the folder are not followed (--follow-links follows them)"
                    )
                    return seed_file
            seed_file.size = info.st_size
            if info.st_size > max_bytes:
                seed_file.error = (
                    f"is {info.st_size:,} bytes; files over {max_bytes:,} bytes are refused (SEED_MAX_BYTES)"
                )
                return seed_file
            data, seed_file.error = _read_at_most(handle, info.st_size, max_bytes)
            if seed_file.error:
                return seed_file
    except OSError as exc:
        seed_file.error = f"cannot be read: {exc.strerror or exc}"
        return seed_file
    if len(data) > max_bytes:  # grew while we looked
        seed_file.error = f"is over {max_bytes:,} bytes; larger files are refused (SEED_MAX_BYTES)"
        return seed_file
    seed_file.size = len(data)
    seed_file.data = data
    seed_file.sha256 = hashlib.sha256(data).hexdigest()
    return seed_file


def _opened_path(descriptor, path):
    if sys.platform.startswith("linux"):
        try:
            return os.readlink(f"/proc/self/fd/{descriptor}")
        except OSError:
            pass
    return os.path.realpath(path)
