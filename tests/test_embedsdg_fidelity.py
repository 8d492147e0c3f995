"""Decode fidelity (the identity control of eq. 6): where the space before a seed goes, and the scores."""
import pytest

from synthcraft.methods.embedsdg.decoding import prompt_parts
from synthcraft.methods.embedsdg.fidelity import FidelityParams, joined, recovery
from synthcraft.methods.embedsdg.prompts import PLACEHOLDER, copy_prompt

SEED = "Which gas do plants take in to make sugar?"


@pytest.mark.parametrize("chat", [True, False])
def test_running_text_reads_the_seed_as_the_tokenizer_reads_it_inline(smollm2_tokenizer, chat):
    prompt = copy_prompt(["one two three", "four five six"])
    prefix, _ = prompt_parts(smollm2_tokenizer, prompt, chat)
    encode = lambda s: smollm2_tokenizer(s, add_special_tokens=False)["input_ids"]  # noqa: E731
    assert smollm2_tokenizer.decode(prefix[-1:]) == " "          # the prompt ends in a lone space token ...
    same_prefix, texts = joined(prefix, [SEED], smollm2_tokenizer, "as_embedded")
    assert same_prefix == prefix and texts == [SEED]             # ... which as_embedded keeps
    moved, texts = joined(prefix, [SEED], smollm2_tokenizer, "running_text")
    inline = encode(smollm2_tokenizer.decode(prefix) + SEED)     # the whole prompt with the seed, as text
    assert moved + encode(texts[0]) == inline and moved == prefix[:-1]
    assert prefix + encode(SEED) != inline                       # the split the embedding step makes today
    assert PLACEHOLDER not in smollm2_tokenizer.decode(prefix)


def test_recovery_scores():
    seeds = ["The cell wall is made of cellulose.", "Water boils at 100 degrees."]
    assert recovery(seeds, seeds) == {"exact": 1.0, "bleu": 100.0, "chrf": 100.0}
    half = recovery([seeds[0], "Something else entirely."], seeds)
    assert half["exact"] == 0.5 and 0 < half["bleu"] < 100
    with pytest.raises(ValueError, match="at least 1"):
        FidelityParams(samples=0)
    with pytest.raises(ValueError, match="one of"):
        joined([1], ["x"], None, "glued")
