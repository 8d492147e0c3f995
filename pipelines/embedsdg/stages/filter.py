"""embedsdg_filter: CRAFT's sample filters per kind, then the arms' training sets at equal budget.

    dvc repro pipelines/embedsdg/dvc.yaml:embedsdg_filter

Each kind's teacher outputs pass the shared filter funnel (format, duplicates, near-copies of a
pool example -- the seeds included -- and of each other), every reject counted with its reason.
methods/embedsdg/arms.py then cuts the equal-count arms to one size and gives the
random_seeds_tokens arm embedsdg's token spend (its degenerate decodings included: they cost
tokens too). The human controls (arms.human_arms) take real items from the split's reserve: no
teacher, no filter, no tokens. Writes data/embedsdg/arms/<arm>.jsonl (in task.supervision's form, each row with
its id and doc_id: the seed example it came from, two joined by "+" for a pair), data/embedsdg/arms/rejected.jsonl and the folder's
dataset card (README.md, metadata.json: synthcraft.cards).
"""
import logging
from dataclasses import dataclass
from pathlib import Path

from synthcraft.cards import CardParams, read_metrics, write_card
from synthcraft.files import read_jsonl, write_jsonl
from synthcraft.funnel import FilterParams, filter_samples
from synthcraft.methods.embedsdg.arms import ARMS, CONTROLS, assemble, human_arms
from synthcraft.methods.embedsdg.pool import as_sample
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths, write_metrics
from synthcraft.tasks import TaskParams
from synthcraft.tasks.mcqa import TASK

KINDS = ("embedsdg", "random_pairs", "random_seeds")
DESCRIPTIONS = {
    "embedsdg": "seed pairs from sparse cells, with the student's decoded interpolation in the prompt",
    "random_pairs": "random seed pairs, with their decoded interpolation (where the seeds come from is the only change)",
    "random_seeds": "one random seed per example (the paper's baseline)",
    "random_seeds_tokens": "random_seeds given as many tokens as embedsdg spent",
    "human": "the positive control: as many real MMLU items (in neither the seed pool nor the evaluation set) "
             "as the equal-count arms",
    "human_all": "the whole human reserve (the positive control at a larger size)",
}


@dataclass
class Paths:
    pool: Path = Path("data/embedsdg/pool.jsonl")
    human: Path = Path("data/embedsdg/human.jsonl")
    generated: Path = Path("data/embedsdg/generated.jsonl")
    decoded: Path = Path("data/embedsdg/decoded.jsonl")
    out: Path = Path("data/embedsdg/arms")
    metrics: Path = Path("metrics/embedsdg/filter.json")
    spend: Path = Path("metrics/embedsdg/generate.json")   # quoted by the card, not a dep (pipeline_deps.UNTRACKED_FIELDS)


def run(params, paths: Paths) -> dict:
    f = params.filter
    supervision = params.task.supervision_for(TASK)
    pool = [{"id": item["id"], **as_sample(item)} for item in read_jsonl(paths.pool)]
    generated = read_jsonl(paths.generated)
    records, kept, funnels, rejected = {}, {}, {}, []
    for kind in KINDS:
        records[kind] = sorted((r for r in generated if r["kind"] == kind), key=lambda r: r["order"])
        samples, dropped, report = filter_samples(records[kind], TASK, pool, f.similarity, f.lsh_threshold)
        kept[kind] = {s["id"]: s for s in samples}
        funnels[kind] = report.to_json()
        rejected += [{**r, "kind": kind} for r in dropped]
    # Decodings that never reached the teacher (degenerate_decoding=skip) still cost their tokens.
    sent = {(r["kind"], r["order"]) for r in generated}
    for row in read_jsonl(paths.decoded):
        if (row["kind"], row["order"]) not in sent:
            records[row["kind"]].append({"id": f"{row['kind']}-decode-{row['order']}", "order": row["order"],
                                         "decode_tokens_in": row["decode_tokens_in"],
                                         "decode_tokens_out": row["decode_tokens_out"]})
    for kind in ("embedsdg", "random_pairs"):
        records[kind].sort(key=lambda r: r["order"])
    arms, accounting = assemble(records, {kind: set(samples) for kind, samples in kept.items()})
    if accounting["examples_per_arm"] == 0:
        raise SystemExit(f"embedsdg_filter: an arm kept no example ({ {k: v['available'] for k, v in funnels.items()} }). "
                         "Fix: raise embedsdg_regions.examples_per_arm or use a stronger teacher (generate.model)")
    reserve = [{**as_sample(item), "id": item["id"], "doc_id": item["id"]} for item in read_jsonl(paths.human)]
    arms.update(human_arms([item["id"] for item in reserve], accounting["examples_per_arm"]))
    accounting["tokens_spent"].update({arm: 0 for arm in CONTROLS})
    samples = {sid: s for kind in KINDS for sid, s in kept[kind].items()} | {item["id"]: item for item in reserve}
    paths.out.mkdir(parents=True, exist_ok=True)
    for arm in ARMS:
        write_jsonl(paths.out / f"{arm}.jsonl", [{"id": sid, "doc_id": samples[sid]["doc_id"],
                                                  **TASK.example(samples[sid], supervision)} for sid in arms[arm]])
    write_jsonl(paths.out / "rejected.jsonl", rejected)
    metrics = {"funnel": funnels, **accounting, "arm_sizes": {arm: len(ids) for arm, ids in arms.items()}}
    configs = {arm: {"path": f"{arm}.jsonl", "rows": len(arms[arm]), "description": DESCRIPTIONS[arm],
                     **({"funnel": funnels[arm if arm in funnels else "random_seeds"]} if arm not in CONTROLS else {})}
               for arm in ARMS}
    configs["rejected"] = {"path": "rejected.jsonl", "rows": len(rejected),
                           "description": "every dropped teacher output with its kind and reason"}
    write_card(paths.out, title="EmbedSDG synthetic multiple-choice data",
               summary="Multiple-choice training examples written by a teacher from seed examples: seed pairs from "
                       "sparse regions of the student's embedding space with their decoded interpolation (embedsdg), "
                       "and the random arms it is compared with, each arm's token spend counted; beside them real "
                       "MMLU items as the positive control.",
               configs=configs,
               meta={"method": "Embedding-based SDG, pipelines/embedsdg/dvc.yaml",
                     "teacher": "{model} via {backend}".format(**read_metrics(paths.spend, ("model", "backend"))),
                     "student": "models/embedsdg/student (base.model tuned on the seed pool)",
                     "format": f"TRL ({supervision} supervision) with id and doc_id (the seed example, or a pair joined by +)",
                     "accounting": accounting, "params": {"filter": {"similarity": f.similarity,
                                                                      "lsh_threshold": f.lsh_threshold}}},
               source=params.cards.embedsdg_pool)
    write_metrics(paths.metrics, metrics)
    logging.info("arms: %s; tokens spent %s", metrics["arm_sizes"], accounting["tokens_spent"])
    return metrics


def main() -> None:
    setup_logging()
    run(load_params(task=TaskParams, filter=FilterParams, cards=CardParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
