"""The vLLM worker's failure modes, with stand-in workers: shell scripts that speak the first line
of the protocol and then hang, die or print junk (vLLM itself runs in test_vllm_backend.py). Each
must end as a WorkerError within its timeout, with the worker's whole process group gone."""
import time
from pathlib import Path

import pytest

from synthcraft.backends.vllm_backend import WorkerEngine, WorkerError

READY = 'echo \'{"ready": true, "start_s": 0.1}\''
BEHAVIOUR = {
    # A child in the worker's group stands for vLLM's engine core, which outlives a killed worker.
    "hangs": "sleep 300 & echo $! > {pidfile}\n" + READY + "\nread line\nsleep 300\n",
    "dies": READY + "\nread line\nexit 3\n",
    "junk": READY + "\nread line\necho 'Loading safetensors checkpoint shards: 100%'\nsleep 300\n",
    "short": READY + "\nread line\necho '[]'\nsleep 300\n",
    "never_ready": "sleep 300\n",
    # Exits when its input closes, as the real worker does, but its child stays behind.
    "leaves_a_child": "sleep 300 & echo $! > {pidfile}\n" + READY + "\nread line\n",
}


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "\nState:\tZ" not in status.read_text()


def worker(tmp_path, behaviour) -> Path:
    script = tmp_path / "python"  # stands where generate.vllm.python points
    script.write_text("#!/bin/sh\n" + BEHAVIOUR[behaviour].replace("{pidfile}", str(tmp_path / "child.pid")))
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("behaviour, message", [
    ("hangs", r"took longer than 2 s for a batch of 1 \(generate.vllm.batch_timeout_s\)"),
    ("dies", r"exited with status 3 before answering"),
    ("junk", r"wrote a line that is not part of the protocol: 'Loading safetensors"),
    ("short", r"answered a batch of 1 with '\[\]'"),
])
def test_a_broken_worker_is_a_clear_error_and_leaves_no_process(tmp_path, behaviour, message):
    engine = WorkerEngine(str(worker(tmp_path, behaviour)), {}, 1, None, start_timeout_s=10, batch_timeout_s=2)
    started = time.monotonic()
    with pytest.raises(WorkerError, match=message) as failure:
        engine.generate([{"prompt": "p", "sampling": {}}])
    assert time.monotonic() - started < 10  # never waits past the timeout (plus the group's shutdown)
    assert "Its log is this stage's stderr" in str(failure.value)
    assert engine.process.poll() is not None
    if behaviour == "hangs":
        child = int((tmp_path / "child.pid").read_text())
        assert not alive(child), "the worker's child (vLLM's engine core) must not outlive it"


def test_a_worker_that_never_starts_times_out(tmp_path):
    with pytest.raises(WorkerError, match=r"took longer than 1 s to start \(generate.vllm.start_timeout_s\)"):
        WorkerEngine(str(worker(tmp_path, "never_ready")), {}, 1, None, start_timeout_s=1, batch_timeout_s=2)


def test_closing_ends_the_group(tmp_path):
    engine = WorkerEngine(str(worker(tmp_path, "leaves_a_child")), {}, 1, None, start_timeout_s=10, batch_timeout_s=2)
    child = int((tmp_path / "child.pid").read_text())
    assert alive(child)
    engine.close()
    assert engine.process.poll() is not None and not alive(child)
