"""LoRA supervised fine-tuning (peft + transformers' Trainer), CRAFT B.6 defaults.

Chat-format SFT with the loss on the assistant's answer only: prompt tokens get label -100.
Batches are padded to their longest example (measured on SmolLM2: 5.2 s/step and 4.2 GB, against
17 s/step and 11.1 GB padding every example to 256).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from synthcraft.files import atomic_write_text, csv_text, read_jsonl, write_jsonl
from synthcraft.runtime import pick_device, use_bf16

TRAINING_DATA = "training_data.jsonl"
LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


@dataclass
class TrainParams:
    """The ``train:`` section: CRAFT B.6's LoRA recipe."""
    r: int = 64
    alpha: int = 64
    dropout: float = 0.1
    learning_rate: float = 1e-4
    warmup_ratio: float = 0.1
    weight_decay: float = 0.05
    epochs: float = 3.0
    effective_batch: int = 16
    micro_batch: int = 4
    max_length: int = 1024
    bf16: str = "auto"        # auto: bf16 where the CPU/GPU supports it
    seed: int = 0
    # More training runs with these seeds (same data, same recipe), saved inside the adapter under
    # seeds/seed-<n>/; evaluate scores each and reports mean +- sd and a t-test across seeds.
    repeat_seeds: list[int] = field(default_factory=list)

    def __post_init__(self):
        if self.seed in self.repeat_seeds or len(set(self.repeat_seeds)) != len(self.repeat_seeds):
            raise ValueError(f"repeat_seeds {self.repeat_seeds} must be distinct and differ from seed {self.seed}")


# The section every other training recipe starts from: a method's section (embedsdg_train, embgen_train,
# embedsdg_student) holds only its changes, merged on top by params.load_section(..., base=RECIPE_BASE).
RECIPE_BASE = "train"


@dataclass
class FewshotTrainParams:
    """The ``train_fewshot:`` section: what the few-shot-only baseline changes in ``train``."""
    effective_batch: int = 2  # CRAFT trains its XS baseline (the few-shots alone) with batch 2


SEEDS_DIR = "seeds"


def repeat_dir(adapter: str | Path, seed: int) -> Path:
    """Where the run with training seed ``seed`` of ``train.repeat_seeds`` lives inside an adapter."""
    return Path(adapter) / SEEDS_DIR / f"seed-{seed}"


def repeat_runs(adapter: str | Path) -> dict[int, Path]:
    """{seed: folder} of the repeated training runs saved inside ``adapter`` (empty: none)."""
    runs = {int(p.name.removeprefix("seed-")): p for p in (Path(adapter) / SEEDS_DIR).glob("seed-*")
            if (p / "adapter_config.json").exists()}
    return dict(sorted(runs.items()))


def tokenize_chat(tokenizer, messages: list[dict], max_length: int) -> dict:
    """input_ids / labels for one conversation; only the final assistant turn is learned."""
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    full_ids = tokenizer(full, add_special_tokens=False)["input_ids"][:max_length]
    if full_ids[: len(prompt_ids)] != prompt_ids:
        raise ValueError("the chat template renders the prompt differently inside the full conversation")
    labels = [-100] * len(prompt_ids) + full_ids[len(prompt_ids):]
    return {"input_ids": full_ids, "attention_mask": [1] * len(full_ids), "labels": labels[: len(full_ids)]}


def tokenize_completion(tokenizer, prompt: str, completion: str, max_length: int) -> dict:
    """input_ids / labels for one plain-text example: prompt and completion tokenized apart (as the
    cloze scorer does), the completion and an end-of-text token learned."""
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(completion, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    full_ids = (prompt_ids + completion_ids)[:max_length]
    labels = ([-100] * len(prompt_ids) + completion_ids)[:max_length]
    return {"input_ids": full_ids, "attention_mask": [1] * len(full_ids), "labels": labels}


def tokenize_example(tokenizer, example: list[dict] | dict, max_length: int) -> dict:
    """A chat conversation (a ``messages`` list, or a row holding one) or a ``{"prompt", "completion"}`` row."""
    if isinstance(example, dict) and "prompt" in example:
        return tokenize_completion(tokenizer, example["prompt"], example["completion"], max_length)
    return tokenize_chat(tokenizer, example["messages"] if isinstance(example, dict) else example, max_length)


def training_text(row: dict) -> str:
    """All text of one saved training row, chat or plain (what contamination checks compare)."""
    if "messages" in row:
        return " ".join(m["content"] for m in row["messages"])
    return row["prompt"] + row["completion"]


def load_examples(path: str | Path) -> list[dict]:
    """The training examples of a JSONL in TRL's formats (the filter stage's train.jsonl): rows with
    ``messages``, or with ``prompt`` and ``completion``; other keys (``id``) are dropped."""
    examples = []
    for line, row in enumerate(read_jsonl(path), 1):
        if "messages" in row:
            examples.append({"messages": row["messages"]})
        elif "prompt" in row and "completion" in row:
            examples.append({"prompt": row["prompt"], "completion": row["completion"]})
        else:
            raise ValueError(f"{path}:{line}: a training row needs messages, or prompt and completion. Fix: "
                             "write it in one of TRL's formats (the filter stage's train.jsonl is an example)")
    return examples


def train_lora(base_dir: str | Path, examples: list[list[dict] | dict], out_dir: str | Path, params: TrainParams,
               base_name: str, loss_csv: str | Path) -> dict:
    """Train a LoRA adapter on ``examples`` (``messages`` lists, or rows as ``tokenize_example``
    reads them); save it (portable base name) and the loss curve."""
    from peft import LoraConfig, get_peft_model
    from transformers import (AutoModelForCausalLM, AutoTokenizer, DataCollatorForSeq2Seq, Trainer,
                              TrainingArguments, set_seed)

    if not examples:
        raise ValueError("the training set is empty: nothing survived the filter stage. Fix: see "
                         "the filter metrics (metrics/filter.json) for the dominant reject reason, retrieve more documents "
                         "(retrieve.k) or use a stronger teacher (generate.model)")
    set_seed(params.seed)
    device = pick_device()
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    model = get_peft_model(model, LoraConfig(r=params.r, lora_alpha=params.alpha, lora_dropout=params.dropout,
                                             bias="none", target_modules=LORA_TARGETS, task_type="CAUSAL_LM"))
    rows = [tokenize_example(tokenizer, c, params.max_length) for c in examples]
    micro = min(params.micro_batch, params.effective_batch)
    args = TrainingArguments(
        output_dir=str(Path(out_dir) / "_trainer"), per_device_train_batch_size=micro,
        gradient_accumulation_steps=max(1, params.effective_batch // micro), learning_rate=params.learning_rate,
        lr_scheduler_type="linear", warmup_steps=params.warmup_ratio,  # a float < 1 is a ratio
        weight_decay=params.weight_decay,
        num_train_epochs=params.epochs, bf16=use_bf16(params.bf16, device), logging_steps=1, save_strategy="no",
        report_to=[], seed=params.seed, data_seed=params.seed, use_cpu=device == "cpu",
        dataloader_num_workers=0, disable_tqdm=False)
    collator = DataCollatorForSeq2Seq(tokenizer, padding="longest", label_pad_token_id=-100)
    trainer = Trainer(model=model, args=args, train_dataset=rows, data_collator=collator)
    result = trainer.train()
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    # The adapter carries the data it was trained on: evaluation measures contamination from it.
    write_jsonl(Path(out_dir) / TRAINING_DATA, [c if isinstance(c, dict) else {"messages": c} for c in examples])
    # peft writes the absolute path it loaded the base from; record the portable name instead.
    config_path = Path(out_dir) / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["base_model_name_or_path"] = base_name
    # peft keeps target_modules as a set: its order follows the process's string hashing, so two
    # identical runs wrote different bytes (and DVC saw a changed adapter). Sorted, it is stable.
    if isinstance(config.get("target_modules"), list):
        config["target_modules"] = sorted(config["target_modules"])
    atomic_write_text(config_path, json.dumps(config, indent=2))
    history = [h for h in trainer.state.log_history if "loss" in h]
    atomic_write_text(loss_csv, csv_text(["step", "loss", "learning_rate"],
                                         ([h["step"], round(h["loss"], 5), h.get("learning_rate")] for h in history)))
    return {"examples": len(rows), "steps": trainer.state.global_step, "train_loss": round(result.training_loss, 5),
            "first_loss": history[0]["loss"] if history else None, "last_loss": history[-1]["loss"] if history else None,
            "seconds": round(result.metrics.get("train_runtime", 0.0), 1), "bf16": args.bf16}


def train_with_repeats(base_dir: str | Path, examples: list, out_dir: str | Path, params: TrainParams, base_name: str,
                       loss_csv: str | Path) -> dict:
    """``train_lora`` with ``params.seed``, then again per seed of ``params.repeat_seeds`` into
    ``repeat_dir(out_dir, seed)`` (its loss curve beside it); the stats of each repeat under
    ``repeat_seeds``."""
    stats = train_lora(base_dir, examples, out_dir, params, base_name=base_name, loss_csv=loss_csv)
    if params.repeat_seeds:
        stats["repeat_seeds"] = {}
        for seed in params.repeat_seeds:
            out = repeat_dir(out_dir, seed)
            run = train_lora(base_dir, examples, out, replace(params, seed=seed, repeat_seeds=[]), base_name=base_name,
                             loss_csv=out / "loss.csv")
            stats["repeat_seeds"][str(seed)] = {key: run[key] for key in ("train_loss", "first_loss", "last_loss", "seconds")}
    return stats
