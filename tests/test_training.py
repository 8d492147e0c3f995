"""LoRA training on a tiny Llama (SmolLM2's tokenizer and chat template, 2 small layers) so the
loop runs in seconds; the real SmolLM2 is trained end to end by the pipeline."""
import json

import pytest
import torch

from synthcraft.tasks import mcqa
from synthcraft.evaluation.scoring import encode
from synthcraft.training import TrainParams, tokenize_chat, tokenize_example, train_lora

pytestmark = pytest.mark.slow

SAMPLES = [{"question": f"Which number comes after {i} when counting up by one?",
            "options": [str(i + 1), str(i + 2), str(i + 3), str(i + 4)], "answer": "A"} for i in range(8)]


def test_only_the_answer_is_learned(smollm2_tokenizer):
    for supervision, answer in (("letter_text", "A. 1"), ("letter", "A")):
        row = tokenize_chat(smollm2_tokenizer, mcqa.TASK.messages(SAMPLES[0], supervision), max_length=512)
        learned = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
        assert smollm2_tokenizer.decode(learned).startswith(answer + "<|im_end|>")   # the answer, in its form
        assert len(row["input_ids"]) == len(row["labels"]) == len(row["attention_mask"])


def test_cloze_supervision_teaches_the_tokens_the_cloze_form_scores(smollm2_tokenizer):
    """The cloze form is plain text: the prompt is the scorer's cloze context, token for token, and
    the learned tokens are the correct option's continuation as scored, then end of text."""
    example = mcqa.TASK.example(SAMPLES[0], "cloze")
    assert example == {"prompt": "Question: Which number comes after 0 when counting up by one?\nAnswer:",
                       "completion": " 1"}
    row = tokenize_example(smollm2_tokenizer, example, max_length=512)
    scored = encode(smollm2_tokenizer, {"question": SAMPLES[0]["question"], "choices": SAMPLES[0]["options"]})
    context = [t for t, label in zip(row["input_ids"], row["labels"]) if label == -100]
    learned = [t for t, label in zip(row["input_ids"], row["labels"]) if label != -100]
    assert context == scored.cloze and learned == scored.options[0] + [smollm2_tokenizer.eos_token_id]
    assert mcqa.TASK.example(SAMPLES[0], "letter")["messages"] == mcqa.TASK.messages(SAMPLES[0], "letter")


def test_training_reduces_loss_and_the_adapter_reloads_identically(tiny_base, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    params = TrainParams(r=8, alpha=16, dropout=0.0, learning_rate=5e-3, epochs=6, effective_batch=4,
                              micro_batch=4, bf16="false")
    conversations = [mcqa.TASK.messages(s) for s in SAMPLES]
    stats = train_lora(tiny_base, conversations, tmp_path / "adapter", params, base_name="models/base",
                       loss_csv=tmp_path / "loss.csv")
    assert stats["steps"] == 12 and stats["last_loss"] < stats["first_loss"]
    rows = (tmp_path / "loss.csv").read_text().splitlines()
    assert rows[0] == "step,loss,learning_rate" and len(rows) == 13
    config = json.loads((tmp_path / "adapter" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == "models/base"  # portable, not a temp or site-packages path
    # Sorted: peft's own order follows the process's string hashing, so reruns wrote other bytes.
    assert config["target_modules"] == sorted({"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                               "down_proj"})

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    inputs = tokenizer(["Which number comes after 3?"], return_tensors="pt")
    base = AutoModelForCausalLM.from_pretrained(tiny_base)
    with torch.inference_mode():
        before = base(**inputs).logits
        reloaded = PeftModel.from_pretrained(base, tmp_path / "adapter").eval()
        first = reloaded(**inputs).logits
        again = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny_base), tmp_path / "adapter").eval()
        assert torch.equal(first, again(**inputs).logits)  # reloads to identical outputs
        assert not torch.allclose(first, before)           # and the adapter does change the model


def test_empty_training_set_is_a_clear_error(tiny_base, tmp_path):
    with pytest.raises(ValueError, match="nothing survived the filter stage"):
        train_lora(tiny_base, [], tmp_path / "a", TrainParams(), "models/base", tmp_path / "l.csv")


def test_train_stage_repeats_training_per_seed(tiny_base, tmp_path):
    """train.repeat_seeds: the same data and recipe once more per seed, inside the adapter folder;
    the same seed reproduces the same adapter, another seed gives another one."""
    import types

    from safetensors.torch import load_file

    from conftest import load_stage, write_jsonl
    from synthcraft.tasks import TaskParams
    from synthcraft.training import FewshotTrainParams, repeat_runs

    stage = load_stage("craft/train")
    data = write_jsonl(tmp_path / "train.jsonl", [{"messages": mcqa.TASK.messages(s)} for s in SAMPLES])
    params = types.SimpleNamespace(task=TaskParams(), train_fewshot=FewshotTrainParams(), train=TrainParams(
        r=4, alpha=8, epochs=1, effective_batch=4, micro_batch=4, bf16="false", seed=0, repeat_seeds=[1, 7]))
    paths = stage.Paths(out=tmp_path / "adapter", metrics=tmp_path / "train.json", loss_csv=tmp_path / "loss.csv",
                        base=tiny_base, data=data)
    stats = stage.run(params, paths)
    assert set(stats["repeat_seeds"]) == {"1", "7"}
    runs = repeat_runs(paths.out)
    assert list(runs) == [1, 7] and all((path / "loss.csv").exists() for path in runs.values())

    def weights(folder):
        return load_file(folder / "adapter_model.safetensors")

    main, seed1 = weights(paths.out), weights(runs[1])
    assert any(not torch.equal(main[k], seed1[k]) for k in main)          # another seed, another adapter
    params.train.repeat_seeds = []
    stage.run(params, stage.Paths(out=tmp_path / "again", metrics=tmp_path / "again.json",
                                  loss_csv=tmp_path / "again.csv", base=tiny_base, data=data))
    again = weights(tmp_path / "again")
    assert all(torch.equal(main[k], again[k]) for k in main)              # the same seed reproduces it
    assert repeat_runs(tmp_path / "again") == {}


def test_repeat_seeds_must_be_new_seeds():
    with pytest.raises(ValueError, match="distinct"):
        TrainParams(seed=0, repeat_seeds=[0, 1])
    with pytest.raises(ValueError, match="distinct"):
        TrainParams(repeat_seeds=[2, 2])
