"""Answers one worker worked out, kept for the other workers on the same machine.

gunicorn's workers are processes, and each keeps its own search results: a
question new to the node is worked out once per worker. Right after a start
or a deploy every question is new to every worker, and at 20,000 articles a
first search costs several milliseconds of CPU while requests queue behind
it. Here a worker that answers a question appends the answer to one file the
master created before forking, and the others look there before working it
out themselves: a question costs the node one search, not one per worker.

The file has no name and lives in memory (``memfd`` where Linux has it): it
is gone with the last process holding it, and its pages count once per node
and in no worker's resident set. Reading and writing hold a POSIX record
lock (``lockf``), which excludes the other processes; ``flock`` would not,
as the workers share one open file description. The file starts with its
round and where its records end; each record is a key's digest, a length
and the pickled value. A worker reads the headers of records added since it
last looked, then the value it wants. Once the file would pass its size
limit it starts a new round from the beginning, and every worker forgets
what it knew of the last one. Values are pickled: only this node's
processes can open the file.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import pickle
import struct
import tempfile
import threading
from collections.abc import Hashable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

LIMIT = 32 * 1024 * 1024  # bytes: about 7,000 pages of search results, before the file starts over
HEAD = struct.Struct("<QQ")  # the round, where the records end
RECORD = struct.Struct("<16sI")  # the key's digest, the value's length


def unnamed_file(name: str):
    """A file in memory where Linux has them: a temporary file on disk would be written back for nothing."""
    if hasattr(os, "memfd_create"):
        return os.fdopen(os.memfd_create(name), "w+b")
    return tempfile.TemporaryFile(prefix=f"{name}-")


class NodeCache:
    """Pickled values by key, in one file the processes forked after it was made all read and append to."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._round = 0
        self._scanned = HEAD.size  # this process has read the headers of the records before this offset
        self._where: dict[bytes, tuple[int, int]] = {}  # digest -> (offset, length) of the value
        self._lock = threading.Lock()  # lockf does not exclude this process's own threads
        try:
            self._file = unnamed_file("kb-answers")
            os.pwrite(self._file.fileno(), HEAD.pack(0, HEAD.size), 0)
        except OSError as error:
            self._off(error)

    def get(self, key: Hashable):
        """The value some process stored for ``key``, or None."""
        if self._file is None:
            return None
        digest = _digest(key)
        try:
            with self._locked(fcntl.LOCK_SH):
                self._catch_up()
                found = self._where.get(digest)
                if found is None:
                    return None
                data = os.pread(self._file.fileno(), found[1], found[0])
        except OSError as error:
            self._off(error)
            return None
        return pickle.loads(data)

    def put(self, key: Hashable, value) -> None:
        """Keep ``value`` for every process; a value too large for the file is not kept."""
        if self._file is None:
            return
        digest = _digest(key)
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        record = RECORD.pack(digest, len(data)) + data
        if HEAD.size + len(record) > self.limit:
            return
        try:
            with self._locked(fcntl.LOCK_EX):
                self._catch_up()
                if digest in self._where:  # another worker answered meanwhile
                    return
                end = self._scanned
                if end + len(record) > self.limit:
                    self._start_over(self._round + 1)
                    end = HEAD.size
                os.pwrite(self._file.fileno(), record, end)
                os.pwrite(self._file.fileno(), HEAD.pack(self._round, end + len(record)), 0)
                self._where[digest] = (end + RECORD.size, len(data))
                self._scanned = end + len(record)
        except OSError as error:
            self._off(error)

    @contextmanager
    def _locked(self, kind: int) -> Iterator[None]:
        with self._lock:
            fcntl.lockf(self._file.fileno(), kind)
            try:
                yield
            finally:
                fcntl.lockf(self._file.fileno(), fcntl.LOCK_UN)

    def _catch_up(self) -> None:
        """Learn where the records other processes added are (the lock is held)."""
        fd = self._file.fileno()
        current, end = HEAD.unpack(os.pread(fd, HEAD.size, 0))
        if current != self._round:
            self._start_over(current)
        while self._scanned < end:
            digest, length = RECORD.unpack(os.pread(fd, RECORD.size, self._scanned))
            self._where[digest] = (self._scanned + RECORD.size, length)
            self._scanned += RECORD.size + length

    def _start_over(self, round_: int) -> None:
        self._round, self._scanned = round_, HEAD.size
        self._where.clear()

    def _off(self, error: OSError) -> None:
        """Without the file each worker answers for itself, as before: slower, never wrong."""
        log.warning("answers are not shared between workers: %s", error)
        self._file = None


def _digest(key: Hashable) -> bytes:
    return hashlib.blake2b(repr(key).encode(), digest_size=16).digest()
