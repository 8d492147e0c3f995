"""Letter and cloze scoring on the real SmolLM2 (src/synthcraft/evaluation/scoring.py): the shared
prefix gives the scores of plain full-sequence runs, the forms follow the model, cloze gets easy
questions right."""
import pytest
import torch

from conftest import SMOLLM2_GGUF
from synthcraft import assets
from synthcraft.evaluation.items import load_mcqa
from synthcraft.evaluation.scoring import encode, letter_token_ids, score_items
from synthcraft.evaluation.summaries import Scored

pytestmark = pytest.mark.slow

EASY = [
    {"question": "What is the capital city of France?", "choices": ["Berlin", "Madrid", "Paris", "Rome"],
     "answer": "C", "subject": "easy"},
    {"question": "What colour is the sky on a clear sunny day?", "choices": ["Green", "Blue", "Purple", "Black"],
     "answer": "B", "subject": "easy"},
    {"question": "What is the opposite of hot?", "choices": ["Cold", "Tall", "Loud", "Early"],
     "answer": "A", "subject": "easy"},
]


@pytest.fixture(scope="module")
def smollm2():
    from synthcraft.models import load_causal_lm

    return load_causal_lm(SMOLLM2_GGUF).eval()


def reference_scores(model, tokenizer, item):
    """One unpadded forward per full sequence, no cache: the definition the fast path must meet."""
    encoded = encode(tokenizer, item)
    with torch.inference_mode():
        sequence = encoded.letter
        last = model(torch.tensor([sequence])).logits[0, -1].log_softmax(-1)
        letter = [float(last[t]) for t in letter_token_ids(tokenizer)[:len(item["choices"])]]
        cloze = []
        for option in encoded.options:
            sequence = encoded.cloze + option
            logprobs = model(torch.tensor([sequence])).logits[0].log_softmax(-1)
            start = len(sequence) - len(option)
            cloze.append(sum(float(logprobs[start + j - 1, t]) for j, t in enumerate(option)))
    return letter, cloze


def test_shared_prefix_equals_full_sequences(smollm2, smollm2_tokenizer):
    items = load_mcqa(assets.MMLU, ["anatomy"])[:6] + EASY
    shared = score_items(smollm2, smollm2_tokenizer, items, batch_size=4)
    full = score_items(smollm2, smollm2_tokenizer, items, batch_size=3, share_prefix=False)
    for item, a, b in zip(items, shared, full):
        letter, cloze = reference_scores(smollm2, smollm2_tokenizer, item)
        assert a.letter == pytest.approx(letter, abs=2e-4) and b.letter == pytest.approx(letter, abs=2e-4)
        assert a.cloze == pytest.approx(cloze, abs=2e-3) and b.cloze == pytest.approx(cloze, abs=2e-3)
        assert a.chars == [len(c) for c in item["choices"]]


def test_items_with_two_to_five_options_match_their_own_full_sequences(smollm2, smollm2_tokenizer):
    items = [{**EASY[0], "choices": ["Berlin", "Paris", "Rome"], "answer": "B"},
             {**EASY[1], "choices": ["Green", "Blue"], "answer": "B"},
             {**EASY[2], "choices": ["Cold", "Tall", "Loud", "Early", "Wide"], "answer": "A"}, EASY[0]]
    shared = score_items(smollm2, smollm2_tokenizer, items, batch_size=4)
    for item, got in zip(items, shared):
        letter, cloze = reference_scores(smollm2, smollm2_tokenizer, item)
        n = len(item["choices"])
        assert len(got.letter) == len(got.cloze) == n
        assert got.letter == pytest.approx(letter, abs=2e-4) and got.cloze == pytest.approx(cloze, abs=2e-3)
    assert Scored(items, shared).correct("cloze").all()


def test_prompts_in_both_forms(smollm2_tokenizer):
    encoded = encode(smollm2_tokenizer, EASY[0])
    letter = smollm2_tokenizer.decode(encoded.letter)
    assert "user\nWhat is the capital city of France?\nA. Berlin\nB. Madrid" in letter
    assert letter.endswith("D. Rome\nAnswer:<|im_end|>\n<|im_start|>assistant\n")
    assert smollm2_tokenizer.decode(encoded.cloze) == "Question: What is the capital city of France?\nAnswer:"
    assert smollm2_tokenizer.decode(encoded.options[2]) == " Paris"


def test_letter_form_follows_the_model(smollm2, smollm2_tokenizer):
    """A bias on the output layer toward "C": every letter prediction follows; without it they differ."""
    items = load_mcqa(assets.MMLU, ["anatomy"])[:8]
    target = letter_token_ids(smollm2_tokenizer)[2]
    hook = smollm2.lm_head.register_forward_hook(lambda m, i, out: out + 100 * torch.nn.functional.one_hot(
        torch.tensor(target), out.shape[-1]).to(out.dtype))
    try:
        forced = Scored(items, score_items(smollm2, smollm2_tokenizer, items, batch_size=5))
    finally:
        hook.remove()
    assert forced.predictions("letter") == ["C"] * len(items)
    free = Scored(items, score_items(smollm2, smollm2_tokenizer, items, batch_size=8))
    assert free.predictions("letter") != forced.predictions("letter")


def test_cloze_gets_easy_questions_right(smollm2, smollm2_tokenizer):
    scored = Scored(EASY, score_items(smollm2, smollm2_tokenizer, EASY))
    assert scored.correct("cloze").all() and scored.correct("cloze_norm").all()


def test_without_the_letter_form_the_cloze_scores_are_the_same(smollm2, smollm2_tokenizer):
    """evaluate.forms without letter skips its pass: the cloze scores do not move, and asking for the
    letter form then says how to get it instead of scoring nothing."""
    items = load_mcqa(assets.MMLU, ["anatomy"])[:5] + EASY
    both = score_items(smollm2, smollm2_tokenizer, items, batch_size=4)
    cloze_only = score_items(smollm2, smollm2_tokenizer, items, batch_size=4, letter=False)
    assert [s.cloze for s in cloze_only] == [s.cloze for s in both]
    assert all(s.letter is None for s in cloze_only)
    with pytest.raises(ValueError, match="add letter to the stage's forms"):
        Scored(items, cloze_only).correct("letter")
