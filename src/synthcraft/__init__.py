"""synthcraft: corpus + a handful of examples -> synthetic fine-tuning data, with proof it helps."""
import os
import platform

# No code path may reach a model hub unless the user asks for it: set HF_HUB_OFFLINE=0 yourself
# (on a machine with network) when params name a hub model.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])

# Portable CPU kernels by default, so the same params give the same bytes on any x86 CPU of one vendor: torch's
# own kernels, oneDNN's and MKL's (torch's matrix products) are held to AVX2, the level every x86-64
# machine of the last decade runs. Uncapped, AVX-512 machines sum in another order than AVX2 ones
# and every embedding, adapter and score differs in its last bits (docs/architecture.md, "Same bytes
# on any CPU"). MKL needs its own switch: with only torch and oneDNN capped, an Intel host still ran
# MKL's AVX-512 code (2026-12-02). MKL_CBWR=AVX2 is MKL's conditional-numerical-reproducibility mode:
# its AVX2 code path on every Intel CPU. AMD CPUs run MKL's AUTO branch instead (MKL honours AVX2 on
# Intel only), so Intel and AMD stores still differ in the last bits; MKL_CBWR=COMPATIBLE, set
# before this import, matches across vendors at twice the cost (docs/architecture.md). The cap
# costs little in float32; it turns off native bf16, which SYNTHCRAFT_KERNELS=native brings back.
# Set here, before any torch operation, so every process (stage, Ray worker, DataLoader) inherits it.
KERNELS_ENV = "SYNTHCRAFT_KERNELS"
PORTABLE_CAPS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "AVX2"}
kernels = os.environ.setdefault(KERNELS_ENV, "portable")
if kernels not in ("portable", "native"):
    raise ValueError(f"{KERNELS_ENV}={kernels!r}: use 'portable' (the default: same bytes on any x86 CPU) "
                     "or 'native' (the CPU's own widest kernels and native bf16 where it has it)")
if kernels == "portable" and platform.machine().lower() in ("x86_64", "amd64"):
    for name, value in PORTABLE_CAPS.items():
        os.environ.setdefault(name, value)

__version__ = "0.1.0"
