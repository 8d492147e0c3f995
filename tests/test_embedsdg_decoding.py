"""Decoding from embeddings (eq. 6): an unchanged text fed as inputs_embeds decodes exactly like
the text prompt (greedy, same tokens); the copy prompt splits at its placeholder; degenerate
decodings are named."""
import pytest
import torch

from synthcraft.methods.embedsdg.decoding import DecodeParams, STOPS, clean, decode_matrices, degenerate, prompt_parts
from synthcraft.methods.embedsdg.embedding import EmbedParams, load_student, weighted_matrices
from synthcraft.methods.embedsdg.prompts import PLACEHOLDER, copy_prompt

TEXT = "Which organ pumps blood through the body?\nA. Liver\nB. Heart\nC. Lung\nD. Skin\nAnswer: B"


@pytest.mark.parametrize("chat", [True, False])
def test_decoding_an_unchanged_text_reproduces_text_generation(tiny_base, chat):
    model, tokenizer = load_student(str(tiny_base))
    prefix, suffix = prompt_parts(tokenizer, copy_prompt(["The sky is blue.", "Water boils at 100 C."]), chat)
    matrices, _ = weighted_matrices(model, tokenizer, [TEXT], EmbedParams(weights="uniform"))
    decoded = decode_matrices(model, tokenizer, prefix, suffix, matrices, max_new_tokens=12, batch_size=1)[0]

    text_ids = tokenizer(TEXT, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prefix + text_ids + suffix])
    with torch.inference_mode():
        reference = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=12,
                                   do_sample=False, pad_token_id=tokenizer.pad_token_id, stop_strings=STOPS,
                                   tokenizer=tokenizer)[0, ids.shape[1]:].tolist()
    pad = tokenizer.pad_token_id
    assert decoded["token_ids"] == [t for t in reference if t != pad]
    assert decoded["tokens_in"] == len(prefix) + len(text_ids) + len(suffix)


def test_copy_prompt_splits_around_the_embeddings(smollm2_tokenizer):
    prompt = copy_prompt(["one", "two", "three", "four"])
    assert prompt.count(PLACEHOLDER) == 1 and prompt.count("Input: one\nOutput: one") == 1
    before, after = prompt_parts(smollm2_tokenizer, prompt, chat=True)
    assert smollm2_tokenizer.decode(after).endswith("assistant\nOutput:")
    assert smollm2_tokenizer.decode(before).rstrip().endswith("Input:")
    _, plain_after = prompt_parts(smollm2_tokenizer, prompt, chat=False)
    assert smollm2_tokenizer.decode(plain_after) == "\nOutput:"


def test_clean_keeps_the_copy_only():
    assert clean(" Output: What is DNA?\nA. x\n\nInput: next") == "What is DNA?\nA. x"
    assert clean("What is DNA?\nOutput: What is") == "What is DNA?"


@pytest.mark.parametrize("text, reason", [("", "empty"), ("   ", "empty"), ("A B", "too_short"),
                                          ("yes yes yes yes yes yes yes yes yes no", "repetitive"),
                                          ("A.\nB.\nC.\nD.\nE.\nF.", "too_short"), ("3 * 10 = 30", "too_short"),
                                          ("A. Law is not a law.\nB. Law is not a law.\nC. Law is not a law.", "repetitive"),
                                          ("Which planet is the largest one?", None)])
def test_degenerate_decodings_are_named(text, reason):
    assert degenerate(text, DecodeParams()) == reason


def test_repeating_a_copy_example_is_not_a_decoding():
    example = "What is the capital of France?\nA. Paris\nB. Rome\nC. Oslo\nD. Bern\nAnswer: A"
    assert degenerate("What is the capital of France?\nA. Paris", DecodeParams(), [example]) == "copied_prompt_example"
