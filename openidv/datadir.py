"""The data directory's files are the owner's alone: directories 0700, files 0600.

They hold personal data (the database, its WAL, the queue, encrypted images) and the key, so
no other local user may read them, whatever umask the process was started with.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077  # new files 0600, new directories 0700
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def restrict_umask() -> None:
    """Every file this process creates from now on is private (set at process start)."""
    os.umask(PRIVATE_UMASK)


def private_directory(path: Path) -> Path:
    """Create ``path`` (and missing parents) 0700; an existing directory is left as it is."""
    if not path.is_dir():
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, PRIVATE_DIR_MODE)  # mkdir's mode is filtered through the umask
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 if it does not exist yet (SQLite then opens it as a new
    database and creates its -wal and -shm files with the same mode)."""
    if not path.exists():
        private_directory(path.parent)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
        except FileExistsError:
            pass  # another process created it first
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write a new file 0600 (replacing any file of that name)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
