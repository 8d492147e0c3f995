"""evaluate: the base model and every adapter in evaluate.models on every set in evaluate.sets,
scored in letter and cloze form and compared item by item.

    dvc repro evaluate
    dvc metrics show metrics/eval.json
    dvc exp run -S 'evaluate.models.other=models/adapters/other'             # one more model, no code
    dvc exp run -S 'evaluate.sets.mine={path: data/eval/mine.jsonl}'         # one more evaluation set
    python -m synthcraft.compare_runs HEAD workspace                          # two runs, paired

Per set: accuracy in each form with 95% Wilson intervals (overall and per subject), each model's
predicted-letter shares beside the answer key's, paired comparisons (each model against base and
against evaluate.reference: accuracy and correct-option log-prob differences with paired bootstrap
intervals, exact McNemar, the minimum detectable difference), and 5-gram contamination of each
adapter's training data (CRAFT 5.3). Every item's scores land in metrics/eval_items.csv.
"""
import csv
import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from synthcraft.evaluation import EvaluateParams, load_model
from synthcraft.evaluation.contamination import contamination
from synthcraft.evaluation.items import item_key
from synthcraft.evaluation.scoring import FORMS, score_items
from synthcraft.evaluation.summaries import Scored, accuracy, accuracy_by_subject, set_report
from synthcraft.files import atomic_write_text, read_jsonl, write_json
from synthcraft.runtime import autocast, pick_device, setup_logging, use_bf16
from synthcraft.stage import load_params, parse_paths
from synthcraft.tasks import TaskParams
from synthcraft.training import TRAINING_DATA


@dataclass
class Paths:
    base: Path = Path("models/base")
    metrics: Path = Path("metrics/eval.json")
    plot: Path = Path("metrics/eval_by_subject.csv")    # primary form, per set x model x subject
    letters: Path = Path("metrics/eval_letters.csv")    # predicted-letter shares beside the key's
    items: Path = Path("metrics/eval_items.csv")        # per item x model: choice, rank, log-prob per form


def run(params, paths: Paths) -> dict:
    p, task = params.evaluate, params.task
    if task.type != "mcqa":
        raise SystemExit(f"evaluate: task.type={task.type!r} has no evaluation yet (only mcqa). Fix: evaluate "
                         f"open-ended tasks with your own scorer on data/synthetic/{task.name}/ for now")
    from transformers import AutoTokenizer

    started = time.perf_counter()
    sets = {name: spec.load() for name, spec in p.sets.items()}
    for name, items in sets.items():
        if not items:
            raise SystemExit(f"evaluate.sets.{name}: no items in {p.sets[name].path} for subjects "
                             f"{p.sets[name].subjects}. Fix: check the path and the subject names")
    tokenizer = AutoTokenizer.from_pretrained(paths.base)
    device = pick_device(p.device)
    bf16 = use_bf16(p.bf16, device)
    results: dict[str, dict[str, Scored]] = {name: {} for name in sets}
    for model_name, adapter in {"base": None, **p.models}.items():
        with autocast(device, bf16):
            model = load_model(str(paths.base), adapter, device)
            for set_name, items in sets.items():
                scores = score_items(model, tokenizer, items, p.batch_size, f"{model_name} on {set_name}")
                results[set_name][model_name] = Scored(items, scores)
                logging.info("%s on %s: %s", model_name, set_name, ", ".join(
                    f"{form} {results[set_name][model_name].correct(form).mean():.4f}" for form in FORMS))
        del model

    reports = {name: set_report(results[name], p.comparisons(), p.primary, p.bootstrap_resamples) for name in sets}
    for set_name, items in sets.items():
        eval_texts = [" ".join([i["question"], *i["choices"]]) for i in items]
        reports[set_name]["contamination"] = {
            name: contamination([" ".join(m["content"] for m in row["messages"])
                                 for row in read_jsonl(Path(adapter) / TRAINING_DATA)], eval_texts)
            for name, adapter in p.models.items()}
    metrics = {"task": task.name, "primary": p.primary, "bf16": bf16, "sets": reports,
               "seconds": round(time.perf_counter() - started, 1)}
    write_json(paths.metrics, metrics)
    atomic_write_text(paths.plot, subject_table(results, p.primary))
    atomic_write_text(paths.letters, letter_table(reports))
    atomic_write_text(paths.items, item_table(results))
    return metrics


def csv_text(header: list[str], rows) -> str:
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return table.getvalue()


def subject_table(results: dict[str, dict[str, Scored]], form: str) -> str:
    """Long format for `dvc plots`: one bar per set x model x subject (and overall), primary form."""
    rows = []
    for set_name, by_model in results.items():
        for model_name, scored in by_model.items():
            subjects = {**accuracy_by_subject(scored, form), "overall": accuracy(scored.correct(form))}
            for subject, r in subjects.items():
                rows.append([f"{set_name} · {model_name} · {subject}", set_name, model_name, subject, form,
                             r["accuracy"], *r["ci95"], r["n"]])
    return csv_text(["bar", "set", "model", "subject", "form", "accuracy", "ci_low", "ci_high", "n"], rows)


def letter_table(reports: dict[str, dict]) -> str:
    """Predicted-letter shares per set x form x model, next to the answer key's."""
    rows = []
    for set_name, report in reports.items():
        for form, bias in report["position_bias"].items():
            for who, shares in {"answer key": bias["answer_key"], **bias["predicted"]}.items():
                rows += [[f"{set_name} · {form} · {who} · {letter}", set_name, form, who, letter, share]
                         for letter, share in shares.items()]
    return csv_text(["bar", "set", "form", "model", "letter", "share"], rows)


def item_table(results: dict[str, dict[str, Scored]]) -> str:
    """One row per set x item x model, so any two runs or models compare item by item (paired):
    the chosen letter, the correct option's rank (1 = top) and log-prob (over the four options),
    per form. ``item_key`` identifies the question across runs."""
    header = ["set", "item", "item_key", "subject", "answer", "model"]
    header += [f"{form}{suffix}" for form in FORMS for suffix in ("", "_rank", "_logprob")]
    rows = []
    for set_name, by_model in results.items():
        for model_name, scored in by_model.items():
            columns = [(scored.predictions(f), scored.correct_rank(f), scored.correct_logprob(f)) for f in FORMS]
            for index, item in enumerate(scored.items):
                row = [set_name, index, item_key(item), item["subject"], item["answer"], model_name]
                for letters, ranks, logprobs in columns:
                    row += [letters[index], int(ranks[index]), round(float(logprobs[index]), 4)]
                rows.append(row)
    return csv_text(header, rows)


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, evaluate=EvaluateParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
