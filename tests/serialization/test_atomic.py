"""Crash safety: a failed or killed save never damages the previous checkpoint."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import ember
from ember.serialization import CorruptCheckpointError
from ember.serialization import safetensors_format as st

REPO = Path(__file__).resolve().parents[2]
OLD = {"epoch": 1, "w": ember.arange(10, dtype=ember.float32)}


def assert_is_old(path):
    back = ember.load(path)
    assert back["epoch"] == 1
    np.testing.assert_array_equal(back["w"].numpy(), np.arange(10, dtype=np.float32))


def test_save_replaces_the_file_and_respects_the_umask(tmp_path):
    path = tmp_path / "ckpt.ember"
    ember.save(OLD, path)
    ember.save({"epoch": 2}, str(path))
    assert ember.load(path) == {"epoch": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.ember"]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_exception_mid_write_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.ember"
    ember.save(OLD, path)
    calls = []

    def failing_write(f, chunk):
        calls.append(len(chunk))
        if len(calls) == 3:
            raise OSError("disk full")
        f.write(chunk)

    monkeypatch.setattr(st, "CHUNK_BYTES", 1024)
    monkeypatch.setattr(st, "_write_chunk", failing_write)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"epoch": 2, "w": ember.zeros(10_000)}, path)
    assert len(calls) == 3
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.ember"]
    assert_is_old(path)


CHILD = textwrap.dedent(
    """
    import sys, time
    import ember
    from ember.serialization import safetensors_format as st

    st.CHUNK_BYTES = 1 << 16
    write = st._write_chunk
    count = [0]

    def slow_write(f, chunk):
        write(f, chunk)
        f.flush()
        count[0] += 1
        if count[0] == 4:
            print("writing", flush=True)
        time.sleep(0.005)

    st._write_chunk = slow_write
    ember.save({"epoch": 2, "w": ember.ones(4_000_000)}, sys.argv[1])  # 16 MB, ~1.3 s
    print("finished", flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_mid_write_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "ckpt.ember"
    ember.save(OLD, path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout.readline().strip() == "writing"
        temps = [p for p in tmp_path.iterdir() if p.name != "ckpt.ember"]
        assert len(temps) == 1 and temps[0].stat().st_size > 0
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert_is_old(path)
    # the partial temporary file never took the checkpoint's name, and is itself detectable
    (leftover,) = (p for p in tmp_path.iterdir() if p.name != "ckpt.ember")
    assert leftover.name.startswith(".ckpt.ember.") and leftover.name.endswith(".tmp")
    with pytest.raises(CorruptCheckpointError, match="truncated"):
        ember.load(leftover)
