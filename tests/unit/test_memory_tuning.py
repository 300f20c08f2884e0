"""The glibc malloc tuning the infrastructure factories apply once per process."""

import ctypes
import platform

import pytest

from stafett.persistence import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")
def test_large_buffers_are_kept_in_the_heap_once_per_process() -> None:
    assert memory.keep_large_buffers_in_heap() is True
    assert memory.keep_large_buffers_in_heap() is True  # idempotent


def test_an_environment_setting_takes_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_done", False)
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "1048576")
    called: list[object] = []
    monkeypatch.setattr(ctypes, "CDLL", lambda *a: called.append(a))
    assert memory.keep_large_buffers_in_heap() is True
    assert called == []
