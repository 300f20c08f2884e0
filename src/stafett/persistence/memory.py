"""Keep large buffers in the heap instead of fresh memory mappings (glibc only).

A long plan's snapshot is megabytes: reading one allocates a buffer of that size in
the database driver and again as the Python `bytes`. glibc's malloc serves blocks
above its mmap threshold (128 KiB until it adapts) with a new `mmap`, and returns
them with `munmap`, so every load touched every page of a fresh mapping: on the
machines measured (virtual machines, where a page fault is expensive) that was
most of the time of reading a 2.5 MB row from SQLite's page cache (4-5 ms of 5).
Raising the threshold makes such blocks come from the heap and be reused.

`keep_large_buffers_in_heap` sets the mmap threshold to 32 MiB and keeps up to
64 MiB of freed memory at the top of the heap before giving it back to the system.
It is called once per process by Stafett's infrastructure factories; elsewhere
than on glibc it does nothing. MALLOC_MMAP_THRESHOLD_ in the environment (glibc's
own setting) takes precedence.
"""

import ctypes
import ctypes.util
import os
import threading

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 64 * 1024 * 1024

_lock = threading.Lock()
_done = False


def keep_large_buffers_in_heap() -> bool:
    """Tune glibc's malloc once per process; whether it is (now or already) tuned."""
    global _done  # noqa: PLW0603 - once per process
    with _lock:
        if _done:
            return True
        if "MALLOC_MMAP_THRESHOLD_" in os.environ:
            _done = True
            return True
        name = ctypes.util.find_library("c")
        if name is None:
            return False
        try:
            libc = ctypes.CDLL(name)
            mallopt = libc.mallopt
        except (OSError, AttributeError):  # not glibc
            return False
        mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        mallopt.restype = ctypes.c_int
        _done = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        )
        return _done
