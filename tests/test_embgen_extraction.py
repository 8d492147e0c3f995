"""Entity-description extraction: grounding and the counted rejects, on hand-made documents."""
import json

from synthcraft.methods.embgen.extraction import grounded, parse_pairs, schema

PASSAGE = ("The Rhine rises in the Swiss Alps and flows through Basel and Cologne. "
           "It reaches the North Sea in the Netherlands.")


def reply(*pairs):
    return json.dumps({"pairs": [{"entity": e, "description": d} for e, d in pairs]})


def test_grounding_forgives_case_spacing_and_punctuation_only():
    assert grounded("rhine", PASSAGE) and grounded("Swiss  Alps.", PASSAGE) and grounded("North Sea", PASSAGE)
    assert not grounded("Danube", PASSAGE) and not grounded("Zurich", PASSAGE) and not grounded("  ", PASSAGE)


def test_parse_keeps_grounded_pairs_and_counts_each_reject():
    text = reply(("Rhine", "The Rhine is a river that rises in the Swiss Alps."),
                 ("Danube", "The Danube is a river in central Europe."),          # not in the passage
                 ("Basel", "A city."),                                           # too short a description
                 ("rhine", "The Rhine reaches the North Sea in the Netherlands."),  # same entity again
                 ("", "Nothing named here at all."),
                 ("Cologne", "Cologne is a city the Rhine flows through."))
    kept, rejects = parse_pairs(text, PASSAGE, min_description_words=4)
    assert [p["entity"] for p in kept] == ["Rhine", "Cologne"]
    assert rejects == {"ungrounded_entity": 1, "empty_description": 1, "duplicate": 1, "empty_entity": 1}


def test_malformed_output_is_counted_not_raised():
    for text in ("not json at all", '{"pairs": "none"}', ""):
        kept, rejects = parse_pairs(text, PASSAGE, 4)
        assert kept == [] and rejects == {"malformed_output": 1}


def test_schema_bounds_the_number_of_pairs():
    assert schema(4)["properties"]["pairs"]["maxItems"] == 4
