"""Length rules and the instance checks of methods/embedder/categories.py."""
import pytest

from synthcraft.methods.embedder.categories import LengthRules, check_instance, first_sentence, sides

RULES = LengthRules(short_max_words=5, long_min_words=8)
LONG = "one two three four five six seven eight nine"
LONG_OTHER = "alpha beta gamma delta epsilon zeta eta theta iota kappa"


def test_sides_and_unknown_category():
    assert sides("short-long") == ("short", "long")
    with pytest.raises(ValueError, match="unknown category 'tiny-long'"):
        sides("tiny-long")


def test_rules_must_not_overlap():
    with pytest.raises(ValueError, match="must exceed"):
        LengthRules(short_max_words=10, long_min_words=10)


@pytest.mark.parametrize("category, row, reason", [
    ("short-long", {"query": "where is paris", "positive": LONG, "negative": LONG_OTHER}, None),
    ("short-long", {"query": "where is paris", "positive": LONG, "negative": None}, None),   # mined later
    ("short-long", {"query": "where is paris now in this year", "positive": LONG}, "query_not_short"),
    ("short-long", {"query": "where is paris", "positive": "too short"}, "positive_not_long"),
    ("short-long", {"query": "where is paris", "positive": LONG, "negative": "short one"}, "negative_not_long"),
    ("long-short", {"query": LONG, "positive": "a label", "negative": "a label"}, "negative_equals_positive"),
    ("long-short", {"query": "short", "positive": "a label"}, "query_not_long"),
    ("short-short", {"query": "Paris, France!", "positive": "paris france"}, "query_equals_positive"),
    ("short-short", {"query": "...", "positive": "paris france"}, "query_not_text"),
    ("short-short", {"query": "", "positive": "paris"}, "empty_query"),
    ("short-short", {"query": "paris", "positive": None}, "empty_positive"),
    ("long-long", {"query": LONG + " ten", "positive": LONG}, "query_copies_positive"),
    ("long-long", {"query": LONG_OTHER, "positive": LONG}, None),
])
def test_check_instance(category, row, reason):
    assert check_instance(row, category, RULES) == reason


def test_first_sentence():
    assert first_sentence("It was 1889. Paris grew.") == "It was 1889."
    assert first_sentence("The cell is small. It divides.") == "The cell is small."
    assert first_sentence("No full stop here") == "No full stop here"
