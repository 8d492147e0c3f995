"""The three samplers and the proximity graph on a synthetic embedding set with known clusters."""
import numpy as np
import pytest

from conftest import blobs

from synthcraft.methods.embgen.samplers import EmbgenSamplingParams, Sampler
from synthcraft.methods.embgen.structure import proximity_graph




def draws(sampler, kind, n=200):
    out = [sampler.draw(k) for k in range(n)]
    return [d for d in out if d["sampler"] == kind]


def test_proximity_graph_returns_the_true_nearest_neighbours():
    from sklearn.neighbors import NearestNeighbors

    vectors, _ = blobs()
    graph = proximity_graph(vectors, 5)
    truth = NearestNeighbors(n_neighbors=6, metric="cosine").fit(vectors).kneighbors(vectors, return_distance=False)[:, 1:]
    assert (graph == truth).mean() > 0.99    # ties aside, the same neighbours in the same order
    assert not (graph == np.arange(len(vectors))[:, None]).any()


def test_intra_stays_inside_one_cluster_and_inter_crosses():
    vectors, labels = blobs()
    sampler = Sampler(labels, proximity_graph(vectors, 5), EmbgenSamplingParams(pairs_per_request=4, seed=1))
    intra, inter = draws(sampler, "intra"), draws(sampler, "inter")
    assert intra and inter
    for d in intra:
        assert len(set(labels[d["pairs"]])) == 1 and len(d["pairs"]) == 4 and len(set(d["pairs"])) == 4
    for d in inter:
        assert len(set(labels[d["pairs"]])) == 2 and d["clusters"] == sorted(set(labels[d["pairs"]].tolist()))


def test_proximity_draws_an_anchor_with_its_neighbours():
    vectors, labels = blobs()
    graph = proximity_graph(vectors, 5)
    sampler = Sampler(labels, graph, EmbgenSamplingParams(pairs_per_request=4))
    for d in draws(sampler, "proximity"):
        anchor, rest = d["pairs"][0], d["pairs"][1:]
        assert rest == graph[anchor, :3].tolist()
        assert set(labels[d["pairs"]]) == {labels[anchor]}   # separated blobs: neighbours share the cluster


def test_mix_weights_and_determinism():
    vectors, labels = blobs()
    graph = proximity_graph(vectors, 5)
    only_inter = Sampler(labels, graph, EmbgenSamplingParams(proximity=0, intra=0, inter=1))
    assert {only_inter.draw(k)["sampler"] for k in range(50)} == {"inter"}
    a, b = Sampler(labels, graph, EmbgenSamplingParams()), Sampler(labels, graph, EmbgenSamplingParams())
    assert [a.draw(k) for k in range(30)] == [b.draw(k) for k in reversed(range(30))][::-1]


def test_inter_needs_two_clusters_and_says_which_param():
    vectors, _ = blobs(clusters=1)
    with pytest.raises(ValueError, match="embgen_sampling.inter=0"):
        Sampler(np.zeros(len(vectors), dtype=int), proximity_graph(vectors, 3), EmbgenSamplingParams())
