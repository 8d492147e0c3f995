"""Arms at equal count and at equal tokens, and the human control."""
import pytest

from synthcraft.methods.embedsdg.arms import assemble, cost_until, human_arms, spent


def rows(kind, n, tokens):
    return [{"id": f"{kind}{i}", "tokens_in": tokens, "tokens_out": 0} for i in range(n)]


def test_equal_count_arms_are_cut_to_the_smallest_and_equal_tokens_follow_embedsdgs_spend():
    records = {"embedsdg": [{**r, "decode_tokens_in": 50, "decode_tokens_out": 10} for r in rows("e", 4, 100)],
               "random_pairs": rows("p", 4, 100), "random_seeds": rows("s", 10, 40)}
    kept = {"embedsdg": {"e0", "e2", "e3"}, "random_pairs": {"p0", "p1", "p2", "p3"},
            "random_seeds": {f"s{i}" for i in range(10)} - {"s1"}}
    arms, accounting = assemble(records, kept)
    assert arms["embedsdg"] == ["e0", "e2", "e3"] and arms["random_pairs"] == ["p0", "p1", "p2"]
    assert arms["random_seeds"] == ["s0", "s2", "s3"]                 # in draw order, s1 was filtered out
    assert accounting["examples_per_arm"] == 3
    assert accounting["tokens_spent"]["embedsdg"] == 4 * 160          # e3 is the last used: all four requests
    assert accounting["tokens_spent"]["random_seeds"] == 4 * 40       # s0..s3
    # 640 tokens buy 10 random-seed requests at 40 (400 <= 640): all of them, minus the filtered s1
    assert arms["random_seeds_tokens"] == [f"s{i}" for i in range(10) if i != 1]
    assert not accounting["random_seeds_tokens"]["reached_budget"] and "baseline_factor" in accounting["random_seeds_tokens"]["note"]


def test_the_token_arm_stops_at_the_budget():
    records = {"embedsdg": rows("e", 2, 100), "random_pairs": rows("p", 2, 100), "random_seeds": rows("s", 10, 60)}
    kept = {k: {r["id"] for r in v} for k, v in records.items()}
    arms, accounting = assemble(records, kept)
    assert arms["random_seeds_tokens"] == ["s0", "s1", "s2"]          # 180 <= 200 < 240
    assert accounting["tokens_spent"]["random_seeds_tokens"] == 180 and accounting["random_seeds_tokens"]["reached_budget"]


def test_spent_and_cost_until():
    assert spent({"tokens_in": 3, "tokens_out": 2, "decode_tokens_in": 5, "decode_tokens_out": 1}) == 11
    assert cost_until(rows("x", 5, 10), ["x1"]) == 20 and cost_until(rows("x", 5, 10), []) == 0


def test_human_control_matches_the_equal_count_size_and_never_spends_more_than_the_reserve():
    reserve = [f"h{i}" for i in range(8)]
    arms = human_arms(reserve, 3, seed=0)
    assert len(arms["human"]) == 3 and set(arms["human"]) < set(reserve)
    assert sorted(arms["human_all"]) == sorted(reserve) and arms["human"] == arms["human_all"][:3]
    assert human_arms(reserve, 3, seed=0) == arms and human_arms(reserve, 3, seed=1)["human_all"] != arms["human_all"]
    with pytest.raises(ValueError, match="embedsdg_pool.human_per_subject"):
        human_arms(reserve, 9)
