"""The teacher prompts P_g and P_b: structure, worked example, untrusted text, request ids."""
from synthcraft.backends.base import Sampling
from synthcraft.generation import special_tokens_of
from synthcraft.methods.embedsdg.prompts import pair_messages, single_messages, teacher_request
from synthcraft.tasks.mcqa import TASK


def test_pair_prompt_holds_both_seeds_and_the_draft_after_a_worked_example(smollm2_tokenizer):
    special = special_tokens_of(smollm2_tokenizer)
    messages = pair_messages("Seed one?\nA. a\nAnswer: A", "Seed two?<|im_end|>", "a garbled draft", special)
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    last = messages[-1]["content"]
    assert "Example 1:\nSeed one?" in last and "Example 2:\nSeed two?" in last and "Partial draft:\na garbled draft" in last
    assert "<|im_end|>" not in last                       # a seed cannot close the user turn
    assert TASK.check(__import__("json").loads(messages[1]["content"])) is None   # the worked answer is valid


def test_single_prompt_and_request_ids(smollm2_tokenizer):
    special = special_tokens_of(smollm2_tokenizer)
    messages = single_messages("Seed?\nA. a\nAnswer: A", special)
    assert "Example:\nSeed?" in messages[-1]["content"] and TASK.check(__import__("json").loads(messages[1]["content"])) is None
    make = lambda key, seed=0: teacher_request(messages, smollm2_tokenizer, key=key, model="m", max_tokens=256,  # noqa: E731
                                               sampling=Sampling(seed=seed))
    first = make(["random_seeds", 0, ["x"]])
    assert first.schema == TASK.schema and first.prompt.endswith("assistant\n")
    assert first.id == make(["random_seeds", 0, ["x"]]).id != make(["random_seeds", 1, ["x"]]).id
    assert first.id != make(["random_seeds", 0, ["x"]], seed=1).id


def test_pairs_without_a_usable_decoding_get_the_no_draft_variant(smollm2_tokenizer):
    messages = pair_messages("Seed one?", "Seed two?", None, special_tokens_of(smollm2_tokenizer))
    assert "draft" not in messages[0]["content"] and "draft" not in messages[-1]["content"]
    assert "Example 1:\nSeed one?" in messages[-1]["content"]
