"""Where and how code runs: logging set-up, the device, whether bfloat16 is used, and the machine
a stage ran on.

One place decides: the embedder, the trainer and the evaluator all ask here, so a GPU is used
when present and bf16 is chosen by the same rule everywhere. The CPU kernels (portable, the
default, or native) are fixed earlier, when ``synthcraft`` is imported (see its ``__init__``).
"""
from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import sys
from pathlib import Path

import torch

import synthcraft

# Whether this process has computed in bf16 (a stage is one process): the machine record says so.
_bf16_used = False


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")


def pick_device(setting: str = "auto") -> str:
    """``auto``: the GPU when there is one, else the CPU; anything else is taken as given."""
    if setting == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return setting


def kernels() -> str:
    """``portable`` (torch, oneDNN and MKL held to AVX2: the same bytes on any x86 CPU) or ``native``."""
    return os.environ[synthcraft.KERNELS_ENV]


def native_kernels_env(env: dict | None = None) -> dict:
    """``env`` (default: this process's) for a child that should run the CPU's native kernels: the
    vLLM worker (speed, not bytes, is what matters there) and tests of native bf16."""
    env = dict(os.environ if env is None else env)
    env[synthcraft.KERNELS_ENV] = "native"
    for name, value in synthcraft.PORTABLE_CAPS.items():
        if env.get(name) == value:
            del env[name]
    return env


def compute_id(precision: str, device: str = "cpu") -> str:
    """How a stored vector was computed beyond the model: the precision and the kernels (the caps'
    values under the portable kernels, so a change to the caps counts too). Rows with another id
    are not mixed into a store: no single run of the current code would have computed them."""
    if device.startswith("cuda"):
        where = f"cuda {torch.cuda.get_device_name(0)}"
    elif kernels() == "portable":
        where = "portable " + ",".join(f"{name}={os.environ.get(name, '')}" for name in synthcraft.PORTABLE_CAPS)
    else:
        where = f"native {torch.backends.cpu.get_cpu_capability()}"
    return f"{precision} on {where}"


def cpuinfo(field: str) -> str | None:
    """The first ``field`` line of the kernel's CPU description (Linux), or None elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_flags() -> set[str]:
    return set((cpuinfo("flags") or "").split())


def cpu_has_bf16() -> bool:
    """Whether the CPU itself has native bf16 (AVX-512 bf16 or AMX), whatever the kernels in use."""
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def bf16_supported(device: str) -> bool:
    """Native bf16 arithmetic in the kernels this process runs: a CUDA GPU that has it, or a CPU
    with AVX-512 bf16 / AMX under native kernels (portable kernels are capped below it)."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def require_fast_bf16(device: str, where: str) -> None:
    """bf16 asked for explicitly on a CPU whose kernels cannot run it natively: stop with the fix
    (emulated bf16 ran MiniLM 4x slower than float32 here, so carrying on would only waste the run)."""
    if device.startswith("cuda") or bf16_supported(device):
        return
    if kernels() == "portable" and cpu_has_bf16():
        raise ValueError(f"{where}: bf16 on this CPU needs its native kernels; the default portable kernels "
                         f"(same bytes on any x86 CPU) run it emulated, about 4x slower than float32. Fix: run with "
                         f"{synthcraft.KERNELS_ENV}=native, or set {where} back to its float32 default")
    raise ValueError(f"{where}: this CPU has no native bf16 (AVX-512 bf16 or AMX), so bf16 would run emulated, "
                     f"about 4x slower than float32. Fix: set {where} back to its float32 default")


def note_bf16() -> None:
    """Record that this process computes in bf16 (read by ``machine()``)."""
    global _bf16_used
    _bf16_used = True


def use_bf16(setting: str, device: str, where: str = "bf16") -> bool:
    """Params' ``bf16: auto | true | false`` resolved for ``device``: ``auto`` is bf16 only where the
    kernels in use have it natively (never under the default portable CPU kernels)."""
    if setting not in ("auto", "true", "false"):
        raise ValueError(f"{where}={setting!r} is not one of ['auto', 'true', 'false']")
    if setting == "true":
        require_fast_bf16(device, where)
    chosen = bf16_supported(device) if setting == "auto" else setting == "true"
    if chosen:
        note_bf16()
    return chosen


def autocast(device: str, enabled: bool):
    """bf16 autocast on ``device`` (a no-op context when disabled)."""
    return torch.autocast("cuda" if device.startswith("cuda") else "cpu", dtype=torch.bfloat16, enabled=enabled)


VERSIONED = ("synthcraft", "torch", "transformers", "sentence-transformers", "peft", "llama_cpp_python", "numpy")


def cpu_model() -> str:
    return cpuinfo("model name") or platform.processor() or platform.machine()


def llama_cpp_kernels() -> list[str] | None:
    """The instruction sets the installed llama.cpp was compiled for (its system info: "AVX2 = 1 |
    ..."), or None where this process has not loaded llama.cpp. `make setup` builds for AVX2, so a
    record listing AVX512 or AMX names a native build, whose teacher text is this CPU kind's own."""
    module = sys.modules.get("llama_cpp")
    if module is None:
        return None
    info = module.llama_print_system_info().decode(errors="replace")
    cpu = next((part for part in info.split("CPU :")[1:]), "")
    return [name.strip() for name, _, value in (field.partition("=") for field in cpu.split("|"))
            if value.strip() == "1" and name.strip().isupper()]


def machine() -> dict:
    """What made a stage's outputs, for its metrics: the CPU, the kernels torch ran (their level:
    AVX2 / AVX512, and portable or native), whether the CPU has native bf16 and whether this process
    used bf16, the GPU if any, and the versions that decide the arithmetic. Two machines' metrics
    then say themselves why their numbers differ (``dvc metrics diff``)."""
    versions = {}
    for package in VERSIONED:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpu": cpu_model(), "arch": platform.machine(), "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "kernels": kernels(),
            "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cpu_has_bf16": cpu_has_bf16(),
            "bf16_used": _bf16_used, "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "llama_cpp_kernels": llama_cpp_kernels(), "versions": versions}
