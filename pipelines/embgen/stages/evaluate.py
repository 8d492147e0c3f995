"""embgen_evaluate: the student without synthetic data (no_aug) and with each arm's adapter, on the
closed-book test and the open questions, compared on the same items.

    dvc repro pipelines/embgen/dvc.yaml:embgen_evaluate
    dvc exp run -S judge.enabled=true -S judge.backend=openai \
        -S judge.model=<strong model> pipelines/embgen/dvc.yaml       # with the judge

Closed-book: the shared multiple-choice scorer (letter, cloze, length-normalised cloze), accuracy
with Wilson 95% CIs, paired comparisons (bootstrap CI, exact McNemar), per group of items: "seen"
(facts of the training text: the test), "heldout" (the held-out sentences: the no-leak control,
expected flat), and each with its kind ("seen/masked_entity", ...); "all" pools both. Open: greedy answers, BLEU-1/2/4,
ROUGE-1/2/L (shared lexical metrics), METEOR, answer length, paired bootstrap differences; with the
judge on, its four ratings and Binary Accuracy with Wilson CIs and McNemar. With
embgen_train.repeat_seeds, each trained model's extra seeds are scored on the closed-book test too
("across_seeds": accuracy per seed per group, t-tests across seeds against no_aug and one_doc);
the per-item comparisons above use the first seed. Tokens each arm spent
are copied beside the results, since every comparison is at equal budget. The positive control
("human": the documents' own text, embgen_human) is scored and compared like an arm: against
no_aug it shows whether the test can see a gain at all; each arm against it, how much of it the
arm's data recovers.
"""
import json
import logging
from dataclasses import dataclass
from pathlib import Path


import numpy as np

from synthcraft.evaluation.judge import JudgeParams
from synthcraft.evaluation.lexical import lexical_scores
from synthcraft.evaluation.openended import Answered, answer_rows, compare_answers, judge_answers, mean_ci, model_report
from synthcraft.evaluation.runner import run_models
from synthcraft.evaluation.scoring import FORMS
from synthcraft.evaluation.seeds import is_repeat, model_runs
from synthcraft.evaluation.stats import paired_bootstrap
from synthcraft.evaluation.summaries import accuracy, compare
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.methods.embgen import ARMS
from synthcraft.methods.embgen.human import CONTROL
from synthcraft.methods.embgen.evaluation import COMPARISONS, MODELS, EmbgenEvaluateParams, across_seeds, meteor_scores
from synthcraft.methods.embgen.items import SOURCES
from synthcraft.runtime import pick_device, setup_logging, use_bf16
from synthcraft.stage import load_params, parse_paths, write_metrics


@dataclass
class Paths:
    base: Path = Path("models/base")
    adapters: Path = Path("models/embgen")
    items: Path = Path("data/embgen/eval")
    spend: Path = Path("metrics/embgen/generate")
    human: Path = Path("metrics/embgen/human.json")
    judge_cache: Path = Path("cache/embgen_judge")
    metrics: Path = Path("metrics/embgen/evaluate.json")
    answers: Path = Path("metrics/embgen/answers.jsonl")
    plot: Path = Path("metrics/embgen/accuracy.csv")


def item_groups(closed: list[dict]) -> dict[str, np.ndarray]:
    """Masks of the closed-book groups: each source ("seen", "heldout") and each source/kind."""
    keys = [[item["source"], f"{item['source']}/{item['kind']}"] for item in closed]
    names = sorted({name for pair in keys for name in pair}, key=lambda n: (SOURCES.index(n.split("/")[0]), n))
    return {name: np.array([name in pair for pair in keys]) for name in names}


def run(params, paths: Paths) -> dict:
    p = params.embgen_evaluate
    closed, opened = read_jsonl(paths.items / "closed_book.jsonl"), read_jsonl(paths.items / "open.jsonl")
    device = pick_device(p.device)
    bf16 = use_bf16(p.bf16, device)
    models = {name: (str(paths.base), None if name == "no_aug" else str(paths.adapters / name)) for name in MODELS}
    scored, answers = run_models(models, {"closed_book": closed}, {"open": (opened, p.max_new_tokens)},
                                 batch_size=p.batch_size, device=device, bf16=bf16)
    # Repeated training seeds (embgen_train.repeat_seeds) on the closed-book test only: that is
    # where the across-seed comparison is read, and open answers are the slow part.
    repeats = {run: (str(paths.base), adapter) for run, adapter in model_runs(
        {name: str(paths.adapters / name) for name in MODELS if name != "no_aug"}).items() if is_repeat(run)}
    repeated = run_models(repeats, {"closed_book": closed}, {}, batch_size=p.batch_size, device=device,
                          bf16=bf16)[0]["closed_book"] if repeats else {}
    scored, answered, meteor = scored["closed_book"], {}, {}
    for name in MODELS:
        texts, references = [a["answer"] for a in answers["open"][name]], [i["reference"] for i in opened]
        answered[name] = Answered(opened, answers["open"][name], lexical_scores(texts, references))
        meteor[name], synonyms = meteor_scores(texts, references)

    judge_stats = judge_answers({"open": answered}, params.judge, paths.judge_cache) if params.judge.enabled else None
    form, resamples = p.primary, p.bootstrap_resamples
    report = {"primary": form, "bf16": bf16, "closed_book": {"items": len(closed), "models": {}, "comparisons": {}},
              "open": {"items": len(opened), "meteor_wordnet_synonyms": synonyms, "models": {}, "comparisons": {}},
              "judge": judge_stats or {"enabled": False}}
    kinds = item_groups(closed)
    report["closed_book"].update(test="seen", no_leak_control="heldout",
                                 by_kind={kind: int(mask.sum()) for kind, mask in kinds.items()})

    for name, s in scored.items():
        report["closed_book"]["models"][name] = {
            **accuracy(s.correct(form)), "forms": {f: accuracy(s.correct(f))["accuracy"] for f in FORMS},
            "mean_correct_logprob": round(float(s.correct_logprob(form).mean()), 4),
            "by_kind": {kind: accuracy(s.correct(form)[mask]) for kind, mask in kinds.items()}}
        report["open"]["models"][name] = {**model_report(answered[name], resamples),
                                          "meteor": mean_ci(meteor[name], resamples)}
    seeds = across_seeds({**scored, **repeated}, kinds, form)
    if seeds:
        report["closed_book"]["across_seeds"] = seeds
    for a, b in COMPARISONS:
        key = f"{a}_vs_{b}"
        report["closed_book"]["comparisons"][key] = {
            "all": compare(scored[a], scored[b], form, resamples),
            **{kind: compare(scored[a].where(mask), scored[b].where(mask), form, resamples)
               for kind, mask in kinds.items() if mask.sum() >= 2}}
        low, high = paired_bootstrap(meteor[a], meteor[b], resamples)
        report["open"]["comparisons"][key] = {
            **compare_answers(answered[a], answered[b], resamples),
            "meteor": {"difference": round(float(meteor[a].mean() - meteor[b].mean()), 4),
                       "ci95": [round(low, 4), round(high, 4)]}}
    # The arms' kept teacher output tokens; the control's are its replies' (human text) tokens.
    report["tokens_spent"] = {arm: json.loads((paths.spend / f"{arm}.json").read_text())["kept_tokens_out"]
                              for arm in ARMS}
    report["tokens_spent"][CONTROL] = json.loads(paths.human.read_text())["kept_tokens_out"]
    report["tokens_spent"]["no_aug"] = 0
    write_metrics(paths.metrics, report)
    rows = answer_rows({"open": answered})
    for row in rows:
        row["meteor"] = round(float(meteor[row["model"]][row["item"]]), 4)
    write_jsonl(paths.answers, rows)
    models = report["closed_book"]["models"]
    paths.plot.write_text("bar,accuracy\n" + "".join(
        f"{name} ({kind}),{models[name]['by_kind'][kind]['accuracy']}\n" for name in MODELS for kind in kinds) +
        "".join(f"{name} (all),{models[name]['accuracy']}\n" for name in MODELS))
    logging.info("closed-book (%s): %s", form, {n: r["accuracy"] for n, r in report["closed_book"]["models"].items()})
    logging.info("open ROUGE-L: %s", {n: r["rougeL"]["mean"] for n, r in report["open"]["models"].items()})
    return report


def main() -> None:
    setup_logging()
    run(load_params(embgen_evaluate=EmbgenEvaluateParams, judge=JudgeParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
