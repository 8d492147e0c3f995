"""Shared fixtures: a tiny corpus the tests write themselves, and the real MiniLM embedder."""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import yaml

from synthcraft import assets
from synthcraft.methods.embedder.tasks import TasksParams
from synthcraft.store import StoreInfo

REPO = Path(__file__).resolve().parents[1]
MINILM = assets.MINILM
SHARED_DATA = REPO.parent / "shared" / "data"

# Ten topics, six sentences each; every document joins three of a topic's sentences, so documents
# of one topic are similar to each other and clearly unlike other topics.
TOPICS = {
    "cells": ["The cell membrane is a lipid bilayer that controls what enters and leaves the cell.",
              "Ribosomes translate messenger RNA into chains of amino acids that fold into proteins.",
              "The nucleus stores the cell's chromosomes and is surrounded by a double membrane.",
              "Mitochondria produce most of the ATP a eukaryotic cell uses through aerobic respiration.",
              "The endoplasmic reticulum folds new proteins and sends them on to the Golgi apparatus.",
              "Lysosomes contain digestive enzymes that break down worn-out organelles and debris."],
    "genetics": ["Genes are stretches of DNA that carry the instructions for making proteins.",
                 "Alleles are alternative forms of a gene that occupy the same position on a chromosome.",
                 "A dominant allele masks the effect of a recessive allele in a heterozygous organism.",
                 "During meiosis homologous chromosomes separate, so each gamete carries one allele per gene.",
                 "Mutations are changes in the DNA sequence that can alter the protein a gene encodes.",
                 "Crossing over exchanges segments between homologous chromosomes and shuffles alleles."],
    "heart": ["The human heart has two atria that receive blood and two ventricles that pump it out.",
              "The left ventricle pumps oxygenated blood into the aorta and on to the whole body.",
              "Heart valves keep blood flowing in one direction through the four chambers.",
              "The sinoatrial node in the right atrium sets the rhythm of the heartbeat.",
              "Coronary arteries supply the heart muscle itself with oxygen and nutrients.",
              "The right ventricle sends deoxygenated blood through the pulmonary artery to the lungs."],
    "kidney": ["Each kidney contains about a million nephrons that filter the blood and form urine.",
               "Blood pressure forces water and small solutes out of the glomerulus into Bowman's capsule.",
               "The proximal tubule reabsorbs most of the filtered glucose, sodium and water.",
               "Antidiuretic hormone makes the collecting ducts more permeable to water.",
               "The loop of Henle builds a salt gradient in the kidney medulla.",
               "Urine flows from the kidneys through the ureters to the urinary bladder."],
    "ecology": ["Producers such as plants capture light energy and store it in organic molecules.",
                "Only about a tenth of the energy at one trophic level reaches the next one.",
                "Decomposers return nitrogen and phosphorus from dead matter to the soil.",
                "A food web links many food chains that share species in an ecosystem.",
                "Keystone species have effects on their ecosystem far larger than their numbers suggest.",
                "Predators and prey populations often rise and fall in linked cycles."],
    "astronomy": ["The Sun is a main-sequence star that fuses hydrogen into helium in its core.",
                  "Jupiter is the largest planet in the Solar System and is made mostly of hydrogen.",
                  "A light-year is the distance light travels in one year, about nine trillion kilometres.",
                  "Neutron stars are the collapsed cores of massive stars that exploded as supernovae.",
                  "The Milky Way is a barred spiral galaxy containing hundreds of billions of stars.",
                  "Comets are icy bodies that grow glowing tails when they pass close to the Sun."],
    "football": ["Association football is played by two teams of eleven players on a rectangular pitch.",
                 "Only the goalkeeper may handle the ball, and only inside the penalty area.",
                 "A match lasts ninety minutes, split into two halves of forty-five minutes.",
                 "The offside rule stops attackers from waiting behind the last defender.",
                 "The FIFA World Cup is held every four years and is the sport's biggest tournament.",
                 "A penalty kick is awarded for a foul committed inside the penalty area."],
    "cooking": ["Bread dough rises because yeast ferments sugars and releases carbon dioxide.",
                "Searing meat at high heat browns its surface through the Maillard reaction.",
                "A roux of flour cooked in butter thickens sauces such as bechamel.",
                "Pasta should be boiled in plenty of salted water and drained while still firm.",
                "Emulsions such as mayonnaise suspend droplets of oil in water with help from egg yolk.",
                "Braising cooks tough cuts slowly in a little liquid until they become tender."],
    "history": ["The Roman Empire was divided into eastern and western halves in the late fourth century.",
                "Charlemagne was crowned emperor in the year 800 and ruled much of western Europe.",
                "The Black Death killed a large share of Europe's population in the fourteenth century.",
                "Castles in medieval Europe served as fortified homes for lords and their households.",
                "The printing press spread across Europe after Gutenberg's work in the fifteenth century.",
                "Feudal society bound peasants to the land they worked for a lord."],
    "computing": ["A compiler translates source code into machine instructions before the program runs.",
                  "Binary search finds an item in a sorted list by halving the search range each step.",
                  "Operating systems schedule processes and manage memory for running programs.",
                  "A hash table stores key-value pairs and finds keys in constant time on average.",
                  "Version control systems such as Git record the history of changes to files.",
                  "Databases use indexes to find rows quickly without scanning every record."],
}


def tiny_corpus(n: int = 200) -> list[dict]:
    """``n`` short documents (~250-300 characters), deterministic, ten topics in turn."""
    combos = {t: list(itertools.combinations(s, 3)) for t, s in TOPICS.items()}
    docs = []
    for i in range(n):
        topic = list(TOPICS)[i % len(TOPICS)]
        sentences = combos[topic][(i // len(TOPICS)) % len(combos[topic])]
        docs.append({"id": f"{topic}-{i:04d}", "title": f"{topic.title()} {i}", "text": " ".join(sentences)})
    return docs


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def git_repo(path: Path) -> Path:
    """A git repo with a repo-local identity, so commits work on any machine."""
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for key, value in [("user.name", "synthcraft tests"), ("user.email", "tests@synthcraft.invalid")]:
        subprocess.run(["git", "-C", str(path), "config", key, value], check=True)
    return path


@pytest.fixture
def tiny_docs() -> list[dict]:
    return tiny_corpus(200)


@pytest.fixture(scope="session")
def minilm_encoder():
    from synthcraft.embedders import Encoder

    return Encoder(MINILM, precision="float32")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is absent: this optional test uses the shared public datasets")
    return SHARED_DATA


SMOLLM2_GGUF = assets.SMOLLM2_GGUF


@pytest.fixture(scope="session")
def smollm2_tokenizer():
    from synthcraft.models import load_tokenizer

    return load_tokenizer(SMOLLM2_GGUF)


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory, smollm2_tokenizer):
    """A randomly initialised 2-layer Llama with SmolLM2's tokenizer and chat template, saved like
    models/base: training and evaluation code runs on it in seconds."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(smollm2_tokenizer), hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, tie_word_embeddings=True)
    path = tmp_path_factory.mktemp("tiny-base")
    LlamaForCausalLM(config).save_pretrained(path)
    smollm2_tokenizer.save_pretrained(path)
    return path


def has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def load_stage(name: str):
    """A stage script as a module, so tests call its ``run(params, paths)`` in-process: ``"evaluate"``
    is the shared stages/evaluate.py, ``"craft/filter"`` is pipelines/craft/stages/filter.py."""
    import importlib.util

    method, _, stage = name.rpartition("/")
    script = (REPO / "pipelines" / method / "stages" if method else REPO / "stages") / f"{stage}.py"
    spec = importlib.util.spec_from_file_location(f"stage_{name.replace('/', '_')}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_llama_server(port: int | None = None, *extra_args: str) -> tuple[subprocess.Popen, str]:
    """llama-cpp-python's OpenAI-compatible server on SmolLM2 at 127.0.0.1:``port`` (a free one by
    default), started and answering; returns (process, base URL without /v1)."""
    if not has_module("llama_cpp") or not has_module("uvicorn"):
        pytest.skip("llama-cpp-python[server] is not installed (make setup installs it; it compiles llama.cpp)")
    port = port or free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(assets.resolve(SMOLLM2_GGUF)),
           "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--verbose", "False",
           # Every core: the server's default is half of them, which on 2 cores left one thread
           # taking ~45 s per few-shot request here.
           "--n_threads", str(os.cpu_count() or 1), *extra_args]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/v1/models", timeout=1)
            return server, url
        except urllib.error.HTTPError:  # up, and asking for a key
            return server, url
        except OSError:
            time.sleep(0.3)
    server.kill()
    pytest.fail("llama_cpp.server did not start within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="session")
def llama_server():
    """The real server behind the openai backend's tests (see ``start_llama_server``)."""
    server, url = start_llama_server()
    yield url
    stop_server(server)

# --- running a pipeline in a temporary DVC project (test_pipeline, the method pipeline tests)

ENV = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
       "HF_HUB_OFFLINE": "1", "DVC_NO_ANALYTICS": "1"}


def run(repo, *cmd, check=True):
    result = subprocess.run(cmd, cwd=repo, env=ENV, capture_output=True, text=True)
    if check and result.returncode:
        raise AssertionError(f"{cmd} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def merge(into: dict, values: dict) -> None:
    """Nested keys override only themselves, as `dvc exp run -S a.b.c=...` does."""
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def method_repo(repo: Path, profile: str) -> Path:
    """A DVC project in ``repo`` (a fresh git repo) with the project's pipelines, sources and
    params, ``profiles/<profile>.yaml`` merged into params.yaml: where a method's tiny run goes.
    It shares the session's DVC cache (share_dvc_cache)."""
    for item in ("dvc.yaml", "params.yaml", "stages", "src", "pipelines", "data/fewshots", "data/raw", "data/eval", ".gitignore",
                 ".dvcignore"):
        source = REPO / item
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / item)
    params = yaml.safe_load((repo / "params.yaml").read_text())
    merge(params, yaml.safe_load((REPO / f"profiles/{profile}.yaml").read_text()))
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(repo, "dvc", "init", "-q")
    run(repo, "dvc", "config", "core.analytics", "false")
    return share_dvc_cache(repo)


def share_dvc_cache(repo: Path) -> Path:
    """Point ``repo``'s DVC cache at one folder per test session. DVC's run-cache then restores a
    stage another test repo already ran with the same command, deps and params (the base model's
    conversion, ~45 s, is the same in all of them) instead of running it again: ran_stages counts a
    restored stage as reproduced."""
    run(repo, "dvc", "config", "cache.dir", str(SESSION["dvc_cache"]))
    return repo


SESSION: dict[str, Path] = {}


@pytest.fixture(scope="session", autouse=True)
def _session_dvc_cache(tmp_path_factory):
    SESSION["dvc_cache"] = tmp_path_factory.mktemp("dvc-cache")


@contextmanager
def recorded_teacher(profile: str):
    """The teacher of a method's tiny run, played back from tests/data/recorded/<profile>.jsonl
    (tests/replay_teacher.py explains why). A request the recording lacks (an upstream output that
    differs on this CPU) is answered by the live SmolLM2, started on the first miss, and counted in
    ``live``. SYNTHCRAFT_RECORD_TEACHER=1 records the misses into the file instead."""
    from replay_teacher import ReplayTeacher

    servers = []

    def live() -> str:
        servers.append(start_llama_server())
        return servers[-1][1]

    record = os.environ.get("SYNTHCRAFT_RECORD_TEACHER") == "1"
    upstream = live() if record else None
    fallback = None if record or not (has_module("llama_cpp") and has_module("uvicorn")) else live
    try:
        with ReplayTeacher(REPO / f"tests/data/recorded/{profile}.jsonl", upstream, fallback) as replay:
            yield replay
            if replay.live:
                print(f"\n{profile}: {replay.live} teacher requests were not in the recording (this CPU's "
                      f"upstream outputs differ from the recording machine's); the live SmolLM2 answered them")
    finally:
        for server, _ in servers:
            stop_server(server)


def teach_from(repo: Path, teacher) -> Path:
    """Point the repo's generation at ``teacher`` (a ReplayTeacher) through the real openai backend."""
    set_params(repo, "generate", backend="openai", openai={"base_url": teacher.url})
    return repo


def set_params(repo, section, **values):
    path = repo / "params.yaml"
    params = yaml.safe_load(path.read_text())
    merge(params[section], values)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def ran_stages(output):
    """The stages a ``dvc repro`` ran or restored from the run-cache, each once, in order (a
    ``--dry`` repro logs a stage it finds in the run-cache as cached and then as running)."""
    names = [line.split("'")[1] for line in output.splitlines()
             if line.startswith("Running stage") or (line.startswith("Stage '") and "is cached - skipping run" in line)]
    return list(dict.fromkeys(names))


# --- the embedder's task folders: a small corpus and MMLU-like rows (test_embedder_*)

SMALL_HELDOUT = 0.5   # share of eval_corpus() documents the retrieval task is built from
SMALL = TasksParams(retrieval_queries=6, classification_train_per_topic=8,
                    classification_test_per_topic=4, samples_per_label=4, n_experiments=2, clustering_sets=2,
                    clustering_topics_per_set=3, clustering_per_topic=5, pairs_per_topic=2, min_topic_questions=10)
SUBJECTS = {"astronomy": "planets stars orbit telescope galaxy", "cooking": "bread oven flour butter sauce",
            "law": "court judge contract statute appeal", "music": "melody chord violin rhythm choir"}


def eval_corpus(n=40):
    rng = random.Random(1)
    rows = []
    for i in range(n):
        topic = list(SUBJECTS)[i % 4]
        words = SUBJECTS[topic].split()
        text = " ".join(f"Sentence {j} about {topic} mentions {rng.choice(words)} and {rng.choice(words)}."
                        for j in range(4))
        rows.append({"doc_id": f"{rng.getrandbits(96):024x}", "text": text})
    return rows


def eval_mmlu(per_topic=30):
    rows = []
    for topic, vocabulary in SUBJECTS.items():
        words = vocabulary.split()
        for i in range(per_topic):
            rows.append({"topic": topic, "question": f"Question {i} on {topic}: what about the {words[i % 5]}?",
                         "answer_a": f"the {words[0]} is used often", "answer_b": f"the {words[1]} is rare here",
                         "answer_c": f"no {words[2]} at all today", "answer_d": "x", "correct_answer": "ABC"[i % 3]})
    return rows


# --- HDF5 store tests (test_store, test_sharding)

INFO = StoreInfo(model="test-encoder", fingerprint="f" * 32, dim=16)


class HashEncoder:
    """Deterministic text -> unit vector, counting what it was asked to encode."""

    def __init__(self, fail_after_calls=None):
        self.encoded, self.calls, self.fail_after_calls = [], 0, fail_after_calls

    def __call__(self, texts):
        if self.fail_after_calls is not None and self.calls >= self.fail_after_calls:
            raise KeyboardInterrupt("simulated kill")
        self.calls += 1
        self.encoded += texts
        out = np.stack([np.random.default_rng(int(hashlib.md5(t.encode()).hexdigest()[:8], 16)).standard_normal(16)
                        for t in texts])
        return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def store_corpus(n, start=0):
    texts = [f"document number {i} " + "x" * (i % 7) for i in range(start, start + n)]
    return [f"{i:024x}" for i in range(start, start + n)], texts


# --- clustered vectors (test_embgen_*)

def blobs(per_cluster=20, clusters=4, dim=16, seed=0):
    """Well-separated clusters: each around its own axis."""
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:clusters] * 10
    vectors = np.concatenate([c + rng.normal(size=(per_cluster, dim)) for c in centres])
    return vectors.astype(np.float32), np.repeat(np.arange(clusters), per_cluster)


BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str:
    for name in BROWSERS:
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no headless Chromium (Debian: apt-get install chromium)")


def render(html_path) -> str:
    """The DOM after the page's load event, as a headless Chromium sees it."""
    out = subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000",
                          "--dump-dom", html_path.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return re.search(r"<body[^>]*>", out.stdout).group(0)


def assert_renders(html_path) -> None:
    """A report page loads in a headless Chromium with every image decoded and no script error."""
    body = render(html_path)
    assert 'data-rendered="ok"' in body and 'data-errors="0"' in body, body
