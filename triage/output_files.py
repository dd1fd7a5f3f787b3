"""Output files: checked before any work, locked against a second writer, and replaced atomically.

``output_target`` says where a path really writes (a link's target; a device or FIFO in
place) or why it cannot be written; ``output_lock`` holds a file's lock for a whole run
(``.NAME.lock`` beside it, the same lock file the interview's ``session_lock`` takes);
``atomic_output`` writes a file through a temporary file renamed over it at the end.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .errors import FileInUse, OutputError
from .validation import display_path

#: Errors of writing that are the machine's state, not a bug: reported like any unusable output (exit 1).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS})

#: Locks this process holds, by lock file: (descriptor, how many holders), so that holding is re-entrant.
_held: dict[str, tuple[int, int]] = {}


@dataclass(frozen=True)
class OutputTarget:
    """Where an output path really writes: ``file`` (a link's target), and whether it is written in place."""

    shown: str  # the path as given, printable
    file: Path
    in_place: bool  # a device or FIFO: written through, never replaced

    @property
    def lock_file(self) -> Path:
        """The lock file beside the file (``.NAME.lock``)."""
        return lock_file_for(self.file)


#: The longest file name most file systems allow, in bytes (ext4, xfs, btrfs, tmpfs: 255).
NAME_MAX = 255


def beside(file: Path, suffix: str) -> Path:
    """``.NAME<suffix>`` beside ``file``, its name cut short (with a hash of the whole) when it would be too long.

    Any name the file system allows for ``file`` leaves room for its lock and temporary
    files: a name of 250 bytes would otherwise make ``.NAME.lock`` longer than 255 bytes.
    The same file always gets the same name.
    """
    name = os.fsencode(f".{file.name}{suffix}")
    if len(name) > NAME_MAX:
        digest = hashlib.sha256(os.fsencode(file.name)).hexdigest()[:16].encode()
        keep = NAME_MAX - len(os.fsencode(suffix)) - len(digest) - 1
        name = os.fsencode(f".{file.name}")[:keep] + b"~" + digest + os.fsencode(suffix)
    return file.parent / os.fsdecode(name)


def lock_file_for(file: Path) -> Path:
    """The lock file of ``file``: ``.NAME.lock`` beside it (shortened for a long name, see ``beside``)."""
    return beside(file, ".lock")


class BadLockFile(Exception):
    """A lock file that is not a plain file of its own (a link, a device, a hard link): it is never written."""


def open_lock_file(lock: Path, mode: int = 0o644) -> int:
    """Open (or create) a lock file without following a link and without changing it; check what it is.

    A symbolic link, a FIFO, a device or a file with a second (hard) link is refused with
    ``BadLockFile``: writing our process id into it would overwrite whatever it stands for.
    Other ``OSError`` (a missing or read-only folder) passes up. Nothing is truncated here:
    the caller truncates only once it holds the lock and has checked it is still this file.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(lock, flags, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise BadLockFile(f"its lock file {display_path(lock)} is a symbolic link; remove it if no triage "
                              "run is writing there") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1:
        os.close(fd)
        what = "a file with another name (a hard link)" if stat.S_ISREG(info.st_mode) else "not a plain file"
        raise BadLockFile(f"its lock file {display_path(lock)} is {what}; remove it if no triage run is "
                          "writing there") from None
    return fd


def is_current_lock(fd: int, lock: Path) -> bool:
    """Whether the open lock file ``fd`` is still the file named ``lock`` (its holder may have removed it)."""
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(lock))
    except FileNotFoundError:
        return False


def output_target(path: str | Path) -> OutputTarget:
    """Check that ``path`` can be written as an output, before any work; raises ``OutputError`` saying why not.

    A folder, a missing folder, a socket or a block device, or a read-only file is refused.
    A character device or FIFO (``/dev/null``, a named pipe, ``/dev/stdout``) is written
    through; a symbolic link is followed to the file it names, which is replaced.
    """
    shown = display_path(path)
    given = Path(path)

    def refuse(why: str) -> OutputError:
        return OutputError(f"{shown}: cannot write the output: {why}", why)

    if not str(path).strip():
        why = "the file name is empty (name a file)"
        raise OutputError(f"cannot write the output: {why}", why)

    try:
        info: os.stat_result | None = given.stat()
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise refuse("it is a folder (name a file in it)")
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        if not os.access(given, os.W_OK):
            raise refuse("permission denied")
        return OutputTarget(shown, given, in_place=True)
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise refuse("it is neither a file, a device nor a FIFO")
    file = Path(os.path.realpath(given))
    if not file.parent.is_dir():
        raise refuse(f"the folder {display_path(file.parent)} does not exist")
    if info is not None and not os.access(file, os.W_OK):
        raise refuse("the file is read-only")
    return OutputTarget(shown, file, in_place=False)


@contextmanager
def output_lock(path: str | Path | None) -> Iterator[OutputTarget | None]:
    """Hold the lock of an output file for the block, after checking that it can be written (``output_target``).

    A second triage process writing the same file (by any path or link to it) refuses at
    once with ``FileInUse``, naming the process that holds it; within one process the lock
    is re-entrant. Taken before any work, it reports every output-path problem first; the
    lock file (``.NAME.lock``, holding the process id) is removed at the end. Standard output
    (``None``, ``-``), devices and FIFOs take no lock.
    """
    if path is None or str(path) == "-":
        yield None
        return
    target = output_target(path)
    if target.in_place:
        yield target
        return
    key = str(target.lock_file)
    if key in _held:
        fd, count = _held[key]
        _held[key] = (fd, count + 1)
    else:
        _held[key] = (_acquire(target), 1)
    try:
        yield target
    finally:
        fd, count = _held[key]
        if count > 1:
            _held[key] = (fd, count - 1)
        else:
            del _held[key]
            with suppress(OSError):
                os.unlink(key)  # before closing: a process waiting on this file sees it was replaced
            os.close(fd)


def _acquire(target: OutputTarget) -> int:
    lock = target.lock_file
    for _ in range(20):  # the file is replaced only when its holder finishes between our open and lock
        try:
            fd = open_lock_file(lock)
        except BadLockFile as exc:
            raise OutputError(f"{target.shown}: cannot write the output: {exc}", str(exc)) from None
        except OSError as exc:
            why = f"cannot create files in the folder {display_path(lock.parent)} ({exc.strerror or exc})"
            raise OutputError(f"{target.shown}: cannot write the output: {why}", why) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            who = f" (process {holder})" if holder.isdigit() else ""
            raise FileInUse(f"{target.shown}: in use: another triage run{who} is writing it; wait for it to "
                            "finish, or write to another file") from None
        if is_current_lock(fd, lock):
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)
    raise FileInUse(f"{target.shown}: in use: other triage runs keep replacing it")


@contextmanager
def atomic_output(path: str | Path | None, mode: int | None = None) -> Iterator[IO[str]]:
    """A UTF-8 text stream that replaces ``path`` only when the block ends without error.

    The data goes to a temporary file beside the file and is renamed over it at the end
    (then the folder is synced), so an interrupt or crash never leaves a half-written file
    where a good one was. A symbolic link stays a link: the file it names is replaced. A
    device or FIFO is written through. The new file keeps the permission bits of the file it
    replaces; a new file gets those of any new file (0666 less the umask), or ``mode``
    (e.g. ``0o600`` for a file of health answers), which is set before anything is written.
    The path is checked first (``output_target``). It takes no lock: whoever owns the file for
    longer than one write holds it (``output_lock`` for ``triage score -o``, the interview's
    ``session_lock`` for a session; both lock the same ``.NAME.lock`` file). ``None`` or ``-``
    writes to standard output.
    """
    if path is None or str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = output_target(path)
    if target.in_place:
        with _writing(target), open(target.file, "w", encoding="utf-8", newline="") as stream:
            yield stream
        return
    fd, temp = _temporary(target.file, mode)
    try:
        with _writing(target), open(fd, "w", encoding="utf-8", newline="", closefd=True) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        with _writing(target):
            os.replace(temp, target.file)
    except BaseException:
        with suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_folder(target.file.parent)


def _temporary(file: Path, mode: int | None) -> tuple[int, str]:
    """A new temporary file beside ``file`` with the mode the result must have, open for writing."""
    try:
        old: os.stat_result | None = os.stat(file)
    except FileNotFoundError:
        old = None
    for _ in range(100):
        temp = str(beside(file, f".{secrets.token_hex(4)}.partial"))
        try:
            # 0666 less the umask, as for any new file; never more than ``mode`` when one is asked for
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666 if mode is None else mode)
        except FileExistsError:
            continue
        if mode is not None:
            os.fchmod(fd, mode)
        elif old is not None:
            os.fchmod(fd, stat.S_IMODE(old.st_mode))
            if os.geteuid() == 0:  # root can give the new file its old owner too
                with suppress(OSError):
                    os.fchown(fd, old.st_uid, old.st_gid)
        return fd, temp
    raise FileExistsError(f"no free temporary name beside {file}")


@contextmanager
def _writing(target: OutputTarget) -> Iterator[None]:
    """Turn the machine's write failures (disk full, quota, I/O error) into an ``OutputError`` naming the file."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS:
            raise
        why = str(exc.strerror or exc)
        raise OutputError(f"{target.shown}: cannot write the output: {why}", why) from None


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system can sync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
