"""Evaluation scoring: letter + cloze with each question's cache shared by its four options, against
every full sequence run on its own, against letter scoring alone (what evaluate cost before) and
against the cloze forms alone (evaluate.forms without letter, the default); and what bf16 autocast
costs in agreement with fp32.

    python benchmarks/eval_scoring.py                 # 160 MMLU biology items, SmolLM2 from its GGUF
    python benchmarks/eval_scoring.py --items 689

Same model, items and batch size for every arm, in one process; the three speed arms run in the
evaluate stage's precision and alternate over ``--repeats`` rounds (median kept). The shared arm
then runs once more in float32, and the share of items whose predicted option is the same in both
precisions is reported per form. Writes benchmarks/results/eval_scoring.json; the last line is the
speed ratio.
"""
import argparse
import statistics
import time
from pathlib import Path

import torch

from common import save_and_print
from synthcraft import assets
from synthcraft.evaluation.items import CRAFT_BIO_TOPICS, load_mcqa
from synthcraft.evaluation.scoring import letter_scores, letter_token_ids, pad, positions, score_items
from synthcraft.evaluation.summaries import Scored
from synthcraft.models import load_causal_lm, load_tokenizer
from synthcraft.runtime import autocast, use_bf16

RESULTS = Path(__file__).resolve().parent / "results"


@torch.inference_mode()
def letters_only(model, tokenizer, items, batch_size):
    """Letter scoring alone, batched the same way: the cost of evaluation before cloze was added."""
    from synthcraft.evaluation.scoring import encode

    encoded = [encode(tokenizer, item).letter for item in items]
    letters = letter_token_ids(tokenizer)
    for start in range(0, len(encoded), batch_size):
        ids, mask = pad(encoded[start: start + batch_size], tokenizer.pad_token_id or 0)
        letter_scores(model(input_ids=ids, attention_mask=mask, position_ids=positions(mask), logits_to_keep=1).logits,
                      letters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(RESULTS / "eval_scoring.json"))
    args = parser.parse_args()
    model, tokenizer = load_causal_lm(assets.SMOLLM2_GGUF).eval(), load_tokenizer(assets.SMOLLM2_GGUF)
    items = load_mcqa(assets.MMLU, CRAFT_BIO_TOPICS, limit=args.items)
    arms = {
        "shared_prefix": lambda: score_items(model, tokenizer, items, args.batch_size, "shared"),
        "full_sequences": lambda: score_items(model, tokenizer, items, args.batch_size, "full", share_prefix=False),
        "letter_only": lambda: letters_only(model, tokenizer, items, args.batch_size),
        "cloze_only": lambda: score_items(model, tokenizer, items, args.batch_size, "cloze", letter=False),
    }
    bf16 = use_bf16("auto", "cpu")
    seconds = {name: [] for name in arms}
    outputs = {}
    with autocast("cpu", bf16):
        for _ in range(args.repeats):
            for name, arm in arms.items():
                start = time.perf_counter()
                outputs[name] = arm()
                seconds[name].append(time.perf_counter() - start)
    start = time.perf_counter()
    fp32 = Scored(items, score_items(model, tokenizer, items, args.batch_size, "fp32"))
    fp32_seconds = time.perf_counter() - start
    median = {name: statistics.median(s) for name, s in seconds.items()}
    shared, full = Scored(items, outputs["shared_prefix"]), Scored(items, outputs["full_sequences"])
    forms = ("letter", "cloze", "cloze_norm")

    def agreement(a, b, form):
        return round(sum(x == y for x, y in zip(a.predictions(form), b.predictions(form))) / len(items), 4)

    result = {
        "items": len(items), "batch_size": args.batch_size, "bf16": bf16, "repeats": args.repeats,
        "seconds_median": {name: round(s, 2) for name, s in median.items()},
        "items_per_second": {name: round(len(items) / s, 2) for name, s in median.items()},
        "speedup_shared_vs_full": round(median["full_sequences"] / median["shared_prefix"], 3),
        "cost_of_cloze_vs_letter_only": round(median["shared_prefix"] / median["letter_only"], 3),
        "cost_of_all_forms_vs_cloze_only": round(median["shared_prefix"] / median["cloze_only"], 3),
        "same_cloze_scores_without_letter": all(a.cloze == b.cloze for a, b in zip(outputs["shared_prefix"],
                                                                                   outputs["cloze_only"])),
        "same_predictions_shared_vs_full": {form: agreement(shared, full, form) for form in forms},
        "fp32_seconds_shared": round(fp32_seconds, 2),
        "same_predictions_vs_fp32": {form: agreement(shared, fp32, form) for form in forms},
        "accuracy": {precision: {form: round(float(s.correct(form).mean()), 4) for form in forms}
                     for precision, s in (("run", shared), ("fp32", fp32))},
    }
    save_and_print(result, args.out, f"eval scoring: shared prefix {result['speedup_shared_vs_full']:.2f}x the speed of full "
                                    f"sequences; letter + cloze costs {result['cost_of_cloze_vs_letter_only']:.2f}x letter alone "
                                    f"and {result['cost_of_all_forms_vs_cloze_only']:.2f}x cloze alone")


if __name__ == "__main__":
    main()
