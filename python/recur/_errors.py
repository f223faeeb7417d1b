"""recur's status codes as Python exceptions carrying recur_last_error()'s message."""
from __future__ import annotations

from ._lib import lib


class RecurError(Exception):
    """Base of every error raised from the C library."""


class RecurValueError(RecurError, ValueError):
    """A bad argument, a shape that does not fit, a file of the wrong format."""


class RecurFloatingPointError(RecurError, ValueError):
    """NaN or Inf where finite numbers are required."""


class RecurStateError(RecurError, RuntimeError):
    """A call out of order (predict before compile, ...) or an unusable ISA."""


class RecurOSError(RecurError, OSError):
    """A file could not be read or written."""


class RecurMemoryError(RecurError, MemoryError):
    """An allocation failed."""


# recur_status (include/recur/status.h) -> exception class
_BY_STATUS = {1: RecurValueError, 2: RecurValueError, 3: RecurStateError, 4: RecurMemoryError,
              5: RecurStateError, 6: RecurOSError, 7: RecurValueError,
              8: RecurFloatingPointError}


def check(status: int) -> None:
    """Raise the exception for a failed call; read in the calling thread, as the library
    keeps the last error per thread."""
    if status == 0:
        return
    message = lib.recur_last_error().decode("utf-8", "replace")
    if not message:
        message = lib.recur_status_str(status).decode()
    raise _BY_STATUS.get(status, RecurError)(message)
