"""evaluate: the base model and every adapter in evaluate.models on every set in evaluate.sets,
compared item by item. Multiple-choice sets are scored in the forms of evaluate.forms (cloze and
cloze_norm by default; letter on request, at about 1.5 times the cost); open-ended sets
(kind: open) have each model write answers, scored against the reference.

    dvc repro evaluate
    dvc metrics show metrics/eval.json
    dvc exp run -S '+evaluate.models.other=models/adapters/other'            # one more model, no code
    dvc exp run -S '+evaluate.sets.mine={path: data/eval/mine.jsonl}'        # one more evaluation set
    dvc exp run -S 'evaluate.forms=[letter,cloze,cloze_norm]'                 # the letter form too
    dvc exp run -S '+evaluate.sets.bio_open={kind: open, subjects: ["college biology"]}'  # open QA from MMLU
    dvc exp run -S judge.enabled=true -S judge.backend=openai \
                -S judge.model=Qwen/Qwen2.5-7B-Instruct                 # judge open answers
    python -m synthcraft.compare_runs HEAD workspace                          # two runs, paired

Per set: accuracy in each form with 95% Wilson intervals (overall and per subject), each model's
predicted-letter shares beside the answer key's, paired comparisons (each model against base and
against evaluate.reference: accuracy and correct-option log-prob differences with paired bootstrap
intervals, exact McNemar, the minimum detectable difference), and 5-gram contamination of each
adapter's training data (CRAFT 5.3). Every item's scores land in metrics/eval_items.csv.

Open-ended sets: ROUGE-1/2/L and BLEU-1/2/4 per answer, answer length, and (judge.enabled)
the reference-based judge's four ratings and binary accuracy, each model against base and the
reference with paired bootstrap intervals (McNemar for binary accuracy). Every answer, its scores
and its verdict land in metrics/eval_answers.jsonl; judge requests resume from cache/judge/.
"""
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from synthcraft.evaluation import EvaluateParams
from synthcraft.evaluation.contamination import contamination
from synthcraft.evaluation.items import item_key
from synthcraft.evaluation.judge import JudgeParams
from synthcraft.evaluation.lexical import lexical_scores
from synthcraft.evaluation.openended import Answered, answer_rows, judge_answers, open_set_report
from synthcraft.evaluation.runner import run_models
from synthcraft.evaluation.seeds import add_seed_summaries, is_repeat, model_runs
from synthcraft.evaluation.summaries import Scored, accuracy, accuracy_by_subject, set_report
from synthcraft.files import atomic_write_text, csv_text, read_jsonl, write_jsonl
from synthcraft.params import load_section
from synthcraft.runtime import pick_device, setup_logging, use_bf16
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.tasks import TaskParams
from synthcraft.training import TRAINING_DATA, training_text


@dataclass
class Paths:
    base: Path = Path("models/base")
    metrics: Path = Path("metrics/eval.json")
    plot: Path = Path("metrics/eval_by_subject.csv")    # primary form, per set x model x subject
    letters: Path = Path("metrics/eval_letters.csv")    # predicted-letter shares beside the key's
    items: Path = Path("metrics/eval_items.csv")        # per item x model: choice, rank, log-prob per form
    answers: Path = Path("metrics/eval_answers.jsonl")  # open sets: per item x model: answer, scores, verdict
    judge_cache: Path = Path("cache/judge")             # resumable judge requests (not a DVC output)
    section: Path = Path("evaluate")   # the params section (a name, not a file): another one holds only its changes
                                       # to evaluate: (the study's study_evaluate: its models)


def run(params, paths: Paths) -> dict:
    p, task = params.evaluate, params.task
    started = time.perf_counter()
    loaded = {name: spec.load_counting_skips() for name, spec in p.sets.items()}
    for name, (items, skipped) in loaded.items():
        if not items:
            raise SystemExit(f"evaluate.sets.{name}: no items in {p.sets[name].path} for subjects "
                             f"{p.sets[name].subjects} (skipped: {skipped}). Fix: check the path, kind and subject names")
    mcqa_sets = {name: items for name, (items, _) in loaded.items() if p.sets[name].kind == "mcqa"}
    open_sets = {name: items for name, (items, _) in loaded.items() if p.sets[name].kind == "open"}
    device = pick_device(p.device)
    bf16 = use_bf16(p.bf16, device)
    models = p.adapters(task.name)
    runs = model_runs(models)
    results, answers = score_runs(runs, str(paths.base), mcqa_sets,
                                  {name: (items, p.sets[name].max_new_tokens) for name, items in open_sets.items()},
                                  p, device, bf16)
    answered: dict[str, dict[str, Answered]] = {name: {} for name in open_sets}
    for set_name, items in open_sets.items():
        for model_name, model_answers in answers[set_name].items():
            lexical = lexical_scores([a["answer"] for a in model_answers], [i["reference"] for i in items])
            answered[set_name][model_name] = Answered(items, model_answers, lexical)
            logging.info("%s on %s: ROUGE-L %.4f, BLEU-4 %.4f", model_name, set_name,
                         lexical["rougeL"].mean(), lexical["bleu4"].mean())

    metrics = {"task": task.name, "primary": p.primary, "bf16": bf16}
    reports = {name: set_report(results[name], p.comparisons(), p.primary, p.bootstrap_resamples, tuple(p.forms))
               for name in mcqa_sets}
    for set_name, items in mcqa_sets.items():
        eval_texts = [" ".join([i["question"], *i["choices"]]) for i in items]
        reports[set_name]["contamination"] = contamination_by_model(models, eval_texts)
        scored = results[set_name]   # every run, or without repeated seeds where seed_sets leaves this set out
        add_seed_summaries(reports[set_name], models, p.reference, scored, {
            form: {run: float(scored[run].correct(form).mean()) for run in scored} for form in p.forms})
    metrics["sets"] = reports
    if open_sets:
        if params.judge.enabled:
            metrics["judge"] = judge_answers(answered, params.judge, paths.judge_cache)
        metrics["open_sets"] = {
            name: {**open_set_report(answered[name], p.comparisons(), p.bootstrap_resamples, loaded[name][1],
                                     p.sets[name].max_new_tokens),
                   "contamination": contamination_by_model(models, [f"{i['prompt']} {i['reference']}" for i in items])}
            for name, items in open_sets.items()}
        for name, report in metrics["open_sets"].items():
            add_seed_summaries(report, models, p.reference, answered[name], {
                "rougeL": {run: float(answered[name][run].lexical["rougeL"].mean()) for run in answered[name]}})
    metrics["seconds"] = round(time.perf_counter() - started, 1)
    write_metrics(paths.metrics, metrics)
    atomic_write_text(paths.plot, subject_table(results, p.primary))
    atomic_write_text(paths.letters, letter_table(reports))
    atomic_write_text(paths.items, item_table(results, p.forms))
    write_jsonl(paths.answers, answer_rows(answered))
    return metrics


def score_runs(runs: dict[str, str | None], base: str, mcqa_sets: dict, open_sets: dict, p, device: str,
               bf16: bool) -> tuple[dict, dict]:
    """Every run on every set, but repeated training seeds only on ``p.seed_sets`` when it names
    some: the study scores its seeds 1-2 on the in-domain set alone, where the across-seed test is
    read, and saves their passes over the other sets. Results keep ``runs``' order in each set."""
    def score(chosen: dict, only=None) -> tuple[dict, dict]:
        keep = lambda sets: {k: v for k, v in sets.items() if only is None or k in only}   # noqa: E731
        return run_models({name: (base, adapter) for name, adapter in chosen.items()}, keep(mcqa_sets),
                          keep(open_sets), batch_size=p.batch_size, device=device, bf16=bf16, forms=tuple(p.forms))

    if p.seed_sets is None:
        return score(runs)
    results, answers = score({r: a for r, a in runs.items() if not is_repeat(r)})
    repeats = {r: a for r, a in runs.items() if is_repeat(r)}
    if repeats:
        more_results, more_answers = score(repeats, set(p.seed_sets))
        for merged, more in ((results, more_results), (answers, more_answers)):
            for set_name, by_run in more.items():
                both = {**merged[set_name], **by_run}
                merged[set_name] = {run: both[run] for run in runs if run in both}
    return results, answers


def contamination_by_model(models: dict[str, str], eval_texts: list[str]) -> dict:
    """5-gram overlap of each adapter's training data with the evaluation texts (CRAFT 5.3)."""
    return {name: contamination([training_text(row) for row in read_jsonl(Path(adapter) / TRAINING_DATA)], eval_texts)
            for name, adapter in models.items()}


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


def item_table(results: dict[str, dict[str, Scored]], forms: list[str]) -> str:
    """One row per set x item x model, so any two runs or models compare item by item (paired):
    the chosen letter, the correct option's rank (1 = top) and log-prob (over the item's options),
    per scored form. ``item_key`` identifies the question across runs."""
    header = ["set", "item", "item_key", "subject", "answer", "model"]
    header += [f"{form}{suffix}" for form in forms for suffix in ("", "_rank", "_logprob")]
    rows = []
    for set_name, by_model in results.items():
        for model_name, scored in by_model.items():
            columns = [(scored.predictions(f), scored.correct_rank(f), scored.correct_logprob(f)) for f in forms]
            for index, item in enumerate(scored.items):
                row = [set_name, index, item_key(item), item["subject"], item["answer"], model_name]
                for letters, ranks, logprobs in columns:
                    row += [letters[index], int(ranks[index]), round(float(logprobs[index]), 4)]
                rows.append(row)
    return csv_text(header, rows)


def main() -> None:
    setup_logging()
    paths = parse_paths(Paths, __doc__)
    section = str(paths.section)
    params = load_params(task=TaskParams, judge=JudgeParams)
    params.evaluate = load_section(section, EvaluateParams, base=None if section == "evaluate" else "evaluate")
    run(params, paths)


if __name__ == "__main__":
    main()
