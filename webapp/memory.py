"""glibc's memory under a long-running server: at most two arenas, and the heap's free pages handed back.
Both are no-ops off glibc."""

from __future__ import annotations

import ctypes
import functools
import time


@functools.cache
def _glibc():
    """The C library, loaded once, or None off glibc (then both calls below do nothing)."""
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


def limit_memory_arenas(arenas: int = 2) -> None:
    """Gradio runs handlers on many worker threads; glibc gives each busy thread its own memory arena and
    seldom hands them back, so a long-running server's resident memory creeps up. Two arenas keep it flat
    (bench/README.md has the soak's figures)."""
    if (libc := _glibc()) is not None and hasattr(libc, "mallopt"):
        libc.mallopt(-8, arenas)  # M_ARENA_MAX


_released = [0.0]  # when release_memory last ran (time.monotonic)


def release_memory(at_most_every_s: float = 0.0) -> None:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim``, 10 to 30 ms on this app's heap).
    A Train run's large tensors, once freed, raise glibc's mmap threshold, so later tensors (a prediction's
    copies of the review) come from the heap and leave it fragmented: without this, the server's resident memory
    drifts up and down by a hundred MB from one run of the soak to the next (bench/README.md). Called at the end
    of each Train run, and after explained predictions at most every ``at_most_every_s``."""
    now = time.monotonic()
    if now - _released[0] < at_most_every_s:
        return
    _released[0] = now
    if (libc := _glibc()) is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
