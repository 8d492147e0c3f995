"""What every benchmark does last: write its JSON result, print it, and end on the one-line summary;
and the machine it ran on, so a ratio is read against the CPU kind that produced it."""
import importlib.metadata
import json
import os
import platform
from datetime import date
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """CPU model and cores, torch's kernel level (AVX2 / AVX512 / ...), whether the CPU has native
    bf16 (AVX-512 bf16 / AMX: where ``bf16: auto`` turns bf16 on), and the versions that decide
    the kernels. AVX2-only machines run torch about half as fast and without bf16."""
    import torch

    versions = {}
    for package in ("torch", "transformers", "sentence-transformers", "llama_cpp_python", "numpy"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return {"cpu": cpu_model(), "arch": platform.machine(), "cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "native_bf16": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()), "versions": versions}


def save_and_print(result: dict, out: str, summary: str) -> None:
    # Every result is dated and names its machine here, once, so no benchmark can leave either out.
    result = {"date": date.today().isoformat(), **result, "machine": result.get("machine") or machine()}
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(summary)  # last line: the ratio against the baseline
