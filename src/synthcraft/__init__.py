"""synthcraft: corpus + a handful of examples -> synthetic fine-tuning data, with proof it helps."""
import os
import platform

# No code path may reach a model hub unless the user asks for it: set HF_HUB_OFFLINE=0 yourself
# (on a machine with network) when params name a hub model.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])

# Portable CPU kernels by default, so the same params give the same bytes on any x86 CPU: torch's
# own kernels and oneDNN's are capped at AVX2, the level every x86-64 machine of the last decade
# runs. Uncapped, AVX-512 machines sum in another order than AVX2 ones and every embedding, adapter
# and score differs in its last bits (measured: README, "Same bytes on any CPU"). The cap costs
# nothing in float32 here; it only turns off native bf16, which SYNTHCRAFT_KERNELS=native brings back.
# Set here, before any torch operation, so every process (stage, Ray worker, DataLoader) inherits it.
KERNELS_ENV = "SYNTHCRAFT_KERNELS"
PORTABLE_CAPS = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
kernels = os.environ.setdefault(KERNELS_ENV, "portable")
if kernels not in ("portable", "native"):
    raise ValueError(f"{KERNELS_ENV}={kernels!r}: use 'portable' (the default: same bytes on any x86 CPU) "
                     "or 'native' (the CPU's own widest kernels and native bf16 where it has it)")
if kernels == "portable" and platform.machine().lower() in ("x86_64", "amd64"):
    for name, value in PORTABLE_CAPS.items():
        os.environ.setdefault(name, value)

__version__ = "0.1.0"
