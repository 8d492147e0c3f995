"""The training sets compared head to head, and what each cost.

    embedsdg             seed pairs from sparse cells, P_g with the decoded interpolation
    random_pairs         random seed pairs, P_g with their decoded interpolation (ablation: only
                         where the seeds come from differs from embedsdg)
    random_seeds         one random seed per example, P_b (the paper's baseline)
    random_seeds_tokens  random_seeds given as many tokens as embedsdg spent (P_b requests in draw
                         order while the running total stays within embedsdg's total)
    human                the positive control: as many real MMLU items (the reserve: in neither D
                         nor the evaluation set) as the equal-count arms hold; no teacher, no tokens
    human_all            the whole reserve: whether the harness sees human data at a larger N

The first three are cut to the same number of examples (the smallest arm's, in request order),
so they differ only in how the data was made. Tokens count everything an arm spent: teacher
prompt and output tokens of every request (rejected ones too) plus, for the P_g arms, the
student's decoding prompts and outputs.
"""
from __future__ import annotations

import random

EQUAL_COUNT = ("embedsdg", "random_pairs", "random_seeds")
CONTROLS = ("human", "human_all")
ARMS = EQUAL_COUNT + ("random_seeds_tokens",) + CONTROLS    # = pipelines/embedsdg/dvc.yaml's `arms` var (tests/test_pipeline_deps.py checks)


def spent(record: dict) -> int:
    """Tokens one request cost: the teacher's in + out, plus the decoding's when there was one."""
    return (record.get("tokens_in", 0) + record.get("tokens_out", 0) + record.get("decode_tokens_in", 0)
            + record.get("decode_tokens_out", 0))


def assemble(records: dict[str, list[dict]], kept_ids: dict[str, set[str]]) -> tuple[dict[str, list[str]], dict]:
    """Arm name -> kept record ids, and the accounting. ``records[kind]`` are a kind's draws in order
    (kinds: embedsdg, random_pairs, random_seeds): teacher requests, and decodings that never became
    one; ``kept_ids[kind]`` survived the filter."""
    kept = {kind: [r["id"] for r in rows if r["id"] in kept_ids[kind]] for kind, rows in records.items()}
    n = min(len(kept[kind]) for kind in EQUAL_COUNT)
    arms = {kind: kept[kind][:n] for kind in EQUAL_COUNT}

    spend = {kind: cost_until(records[kind], arms[kind]) for kind in EQUAL_COUNT}
    budget, running, prefix = spend["embedsdg"], 0, []
    for record in records["random_seeds"]:
        if running + spent(record) > budget:
            break
        running += spent(record)
        prefix.append(record)
    arms["random_seeds_tokens"] = [r["id"] for r in prefix if r["id"] in kept_ids["random_seeds"]]
    exhausted = len(prefix) == len(records["random_seeds"])
    accounting = {
        "examples_per_arm": n,
        "kept_before_cut": {kind: len(ids) for kind, ids in kept.items()},
        "tokens_spent": {**spend, "random_seeds_tokens": running},
        "tokens_per_draw": {kind: round(sum(spent(r) for r in rows) / len(rows), 1) if rows else None
                               for kind, rows in records.items()},
        "random_seeds_tokens": {"requests": len(prefix), "examples": len(arms["random_seeds_tokens"]),
                                "budget": budget, "reached_budget": not exhausted,
                                **({"note": "every random-seed request fit in the budget: raise "
                                            "embedsdg_regions.baseline_factor to spend it all"} if exhausted else {})},
    }
    return arms, accounting


def human_arms(reserve_ids: list[str], n: int, seed: int = 0) -> dict[str, list[str]]:
    """The controls from the reserve (in subject order): a seeded draw of ``n`` (``human``; every
    subject equally likely, as in the evaluation set) and all of it (``human_all``)."""
    if n > len(reserve_ids):
        raise ValueError(f"the human control needs {n} items (the equal-count arms' size) but the reserve holds "
                         f"{len(reserve_ids)}. Fix: raise embedsdg_pool.human_per_subject")
    order = list(reserve_ids)
    random.Random(seed).shuffle(order)
    return {"human": order[:n], "human_all": order}


def cost_until(rows: list[dict], used: list[str]) -> int:
    """Tokens of the requests (in draw order) up to the last one an arm uses: what its data cost."""
    wanted, total, upto = set(used), 0, 0
    for record in rows:
        total += spent(record)
        if record["id"] in wanted:
            upto = total
    return upto
