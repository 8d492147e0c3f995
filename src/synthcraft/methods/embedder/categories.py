"""The length categories of E5-style data and the checks every generated instance must pass.

"Short" is a phrase or one sentence, "long" several sentences (the paper's definition); here they
are word counts so a check can reject an instance, counted with its reason, instead of trusting
the teacher. short-long and long-short pair different distributions (retrieval, classification);
short-short and long-long pair texts of one distribution (semantic similarity).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

CATEGORIES = ("short-short", "short-long", "long-short", "long-long")
COPY_RATIO = 90   # token-set ratio at which a long query counts as a copy of its document


@dataclass(frozen=True)
class LengthRules:
    short_max_words: int = 30   # a short text: one sentence or a phrase
    long_min_words: int = 35    # a long text: several sentences

    def __post_init__(self):
        if self.long_min_words <= self.short_max_words:
            raise ValueError(f"long_min_words ({self.long_min_words}) must exceed short_max_words "
                             f"({self.short_max_words}): otherwise a text can be both")

    def fits(self, text: str, length: str) -> bool:
        n = words(text)
        return 1 <= n <= self.short_max_words if length == "short" else n >= self.long_min_words


def sides(category: str) -> tuple[str, str]:
    """('short' | 'long' for the query, the same for the documents) of a category name."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}")
    query, document = category.split("-")
    return query, document


def words(text: str) -> int:
    return len(text.split())


def normalized(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def check_instance(row: dict, category: str, rules: LengthRules) -> str | None:
    """None if the instance is usable, else the reason it is rejected (a metrics key).

    ``negative`` may be None (it is mined later); the others must be non-empty strings.
    """
    for key in ("query", "positive"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            return f"empty_{key}"
    if row.get("negative") is not None and (not isinstance(row["negative"], str) or not row["negative"].strip()):
        return "empty_negative"
    query_length, document_length = sides(category)
    if not rules.fits(row["query"], query_length):
        return f"query_not_{query_length}"
    if not rules.fits(row["positive"], document_length):
        return f"positive_not_{document_length}"
    if row.get("negative") is not None and not rules.fits(row["negative"], document_length):
        return f"negative_not_{document_length}"
    if len(re.findall(r"[A-Za-z]{2,}", row["query"])) < 2:   # "...", "1, 2, 3"
        return "query_not_text"
    if normalized(row["query"]) == normalized(row["positive"]):
        return "query_equals_positive"
    if query_length == document_length == "long" and fuzz.token_set_ratio(row["query"], row["positive"]) >= COPY_RATIO:
        return "query_copies_positive"   # a long query that restates the document teaches nothing
    if row.get("negative") is not None and normalized(row["negative"]) == normalized(row["positive"]):
        return "negative_equals_positive"
    return None


def first_sentence(text: str) -> str:
    """The first sentence of a document (the short view of a corpus text)."""
    match = re.match(r"(.+?[.!?])(\s+[A-Z0-9\"'(]|$)", text.strip(), flags=re.S)
    return (match.group(1) if match else text.strip()).strip()
