"""Contrastive training of a sentence embedder on (query, positive, hard negative) rows.

sentence-transformers' trainer with MultipleNegativesRankingLoss: each query is scored against its
positive, its hard negative and every other row's positive and negative in the batch (in-batch
negatives), the paper's eq. 1 with many negatives. ``cached_mnrl`` (GradCache) gives large
effective batches in the memory of ``mini_batch`` rows. Full fine-tuning by default (MiniLM has
22M weights); ``lora`` is the paper's choice for 7B students and is merged before saving, so the
output is always a plain sentence-transformers folder ``embed.model`` can name.

``instruction: true`` trains each query behind its task's instruction, as the recipe does
(``query_text``: the brainstormed task that the row was written for); passages carry none. The
evaluation puts each task's own instruction before its queries for a model trained this way
(``evaluation.instruction_prompts``). The default is the bare query, as MiniLM itself was
pretrained: behind the recipe's instruction MiniLM scored lower on every benchmark
(docs/embedder.md), so the pipeline keeps the instructed model beside it as an ablation.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from synthcraft import assets
from synthcraft.embedders import load_sentence_model
from synthcraft.params import choice

log = logging.getLogger(__name__)


@dataclass
class EmbedderTrainParams:
    """The ``embedder_train:`` section."""
    base_model: str = assets.MINILM
    method: str = "full"          # full | lora
    loss: str = "mnrl"            # mnrl | cached_mnrl (GradCache: batch_size rows in mini_batch memory)
    batch_size: int = 32          # rows per step; every other row's texts are this row's in-batch negatives
    mini_batch: int = 16          # cached_mnrl only
    learning_rate: float = 2.0e-5
    warmup_ratio: float = 0.1
    weight_decay: float = 0.1     # the paper's 0.1
    epochs: int = 1               # the paper trains one epoch
    max_seq_length: int = 128     # tokens per text while training (MiniLM's own training length); saved model keeps the base's
    scale: float = 20.0           # inverse temperature of the cosine logits
    lora_r: int = 16              # the paper's LoRA r = alpha = 16
    lora_alpha: int = 16
    instruction: bool = False     # true: "Instruct: <task>\nQuery: <query>" on the query side, as the recipe trains
    seed: int = 0

    def __post_init__(self):
        choice(self.method, ["full", "lora"], "method")
        choice(self.loss, ["mnrl", "cached_mnrl"], "loss")
        if self.batch_size < 2:
            raise ValueError(f"batch_size={self.batch_size}: in-batch negatives need at least 2 rows")


def make_loss(model, p: EmbedderTrainParams):
    from sentence_transformers.sentence_transformer import losses

    if p.loss == "cached_mnrl":
        return losses.CachedMultipleNegativesRankingLoss(model, scale=p.scale, mini_batch_size=p.mini_batch)
    return losses.MultipleNegativesRankingLoss(model, scale=p.scale)


def query_text(query: str, instruction: str) -> str:
    """The query as an instruction-following embedder reads it (the same form in training and evaluation)."""
    return f"{instruction_prefix(instruction)}{query}"


def instruction_prefix(instruction: str) -> str:
    return f"Instruct: {instruction.strip()}\nQuery: "


def to_dataset(rows: list[dict], instruction: bool = True, source: str = "the training rows"):
    """sentence-transformers' (anchor, positive, negative) columns; with ``instruction`` each anchor
    is the query behind its row's ``task``."""
    from datasets import Dataset

    if instruction:
        missing = [i for i, r in enumerate(rows, 1) if not str(r.get("task") or "").strip()]
        if missing:
            raise ValueError(f"{source}: row {missing[0]} (and {len(missing) - 1} more) has no task to use as the query's "
                             "instruction. Fix: give every row a `task`, or train on bare queries with "
                             "embedder_train.instruction=false")
    anchors = [query_text(r["query"], r["task"]) if instruction else r["query"] for r in rows]
    return Dataset.from_dict({"anchor": anchors, "positive": [r["positive"] for r in rows],
                              "negative": [r["negative"] for r in rows]})


def train_embedder(rows: list[dict], p: EmbedderTrainParams, out_dir: Path, work_dir: Path,
                   source: str = "the training rows") -> dict:
    """Train on ``rows`` (query / positive / negative, and task when ``p.instruction``), save to
    ``out_dir``; returns metrics with the per-step loss curve. ``source`` names the rows in errors."""
    import torch
    from sentence_transformers import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.training_args import (
        BatchSamplers, SentenceTransformerTrainingArguments)
    from transformers import set_seed

    if len(rows) < p.batch_size:
        raise ValueError(f"{len(rows)} training rows are fewer than embedder_train.batch_size={p.batch_size}. "
                         "Fix: lower embedder_train.batch_size or generate more instances (embedder_instances.per_category)")
    dataset = to_dataset(rows, p.instruction, source)   # fails on a row without a task before the model loads
    set_seed(p.seed)
    model = load_sentence_model(p.base_model, "cuda" if torch.cuda.is_available() else "cpu")
    # Train at max_seq_length (MiniLM was trained at 128 tokens; steps cost ~linearly in it) but save
    # with the base model's own limit, so base and trained models read the same text at evaluation.
    inference_length, model.max_seq_length = model.max_seq_length, p.max_seq_length
    if p.method == "lora":  # peft directly on the transformer (sentence-transformers' add_adapter needs peft>=0.22)
        from peft import LoraConfig, TaskType, get_peft_model

        transformer = model[0]
        transformer.model = get_peft_model(transformer.model, LoraConfig(
            task_type=TaskType.FEATURE_EXTRACTION, r=p.lora_r, lora_alpha=p.lora_alpha, lora_dropout=0.0))
    args = SentenceTransformerTrainingArguments(
        output_dir=str(work_dir), num_train_epochs=p.epochs, per_device_train_batch_size=p.batch_size,
        learning_rate=p.learning_rate, warmup_steps=p.warmup_ratio, weight_decay=p.weight_decay,  # a float: a ratio
        lr_scheduler_type="linear", seed=p.seed, data_seed=p.seed, use_cpu=not torch.cuda.is_available(),
        # A query's own duplicate elsewhere in the batch would be scored as its negative.
        batch_sampler=BatchSamplers.NO_DUPLICATES, logging_steps=1, save_strategy="no", report_to=[],
        dataloader_drop_last=False, disable_tqdm=False)
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset,
                                         loss=make_loss(model, p))
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    if p.method == "lora":  # a plain model folder: merge the adapter into the weights
        transformer = model[0]
        transformer.model = transformer.model.merge_and_unload()
    model.max_seq_length = inference_length
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    curve = [{"step": e["step"], "loss": round(e["loss"], 5)} for e in trainer.state.log_history if "loss" in e]
    return {"rows": len(rows), "instruction": p.instruction, "steps": trainer.state.global_step, "seconds": round(seconds, 1),
            "loss_first": curve[0]["loss"] if curve else None, "loss_last": curve[-1]["loss"] if curve else None,
            "loss_curve": curve}
