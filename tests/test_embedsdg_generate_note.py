"""A run whose embedsdg requests mostly went without a decoded draft says so first in its metrics."""
from conftest import load_stage

generate = load_stage("embedsdg/generate")


def test_most_requests_without_a_draft_put_a_note_first():
    note = generate.draft_note({"embedsdg": {"requests": 62, "with_draft": 3}, "random_pairs": {"requests": 64, "with_draft": 2}})
    assert note["note"].startswith("59 of 62 embedsdg requests had no usable decoded draft")


def test_usable_drafts_or_no_embedsdg_requests_add_nothing():
    assert generate.draft_note({"embedsdg": {"requests": 6, "with_draft": 3}}) == {}
    assert generate.draft_note({"random_seeds": {"requests": 9, "with_draft": 0}}) == {}
