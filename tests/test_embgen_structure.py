"""UMAP + clustering recover known clusters; c-TF-IDF keywords and typical entities; clear errors."""
import numpy as np
import pytest

from synthcraft.methods.embgen.keywords import ctfidf_keywords, typical_entities
from synthcraft.methods.embgen.structure import EmbgenStructureParams, cluster, cluster_stats, proximity_graph, reduce
from conftest import blobs


def test_umap_then_kmeans_and_hdbscan_recover_the_blobs():
    from sklearn.metrics import adjusted_rand_score

    vectors, truth = blobs(per_cluster=25, clusters=4, dim=32)
    low = reduce(vectors, EmbgenStructureParams(umap_components=3, umap_neighbors=10))
    kmeans = cluster(low, EmbgenStructureParams(clusters=4))
    assert adjusted_rand_score(truth, kmeans) > 0.95
    dense = cluster(low, EmbgenStructureParams(algorithm="hdbscan", min_cluster_size=10))
    inside = dense != -1
    assert inside.mean() > 0.8 and adjusted_rand_score(truth[inside], dense[inside]) > 0.95
    stats = cluster_stats(low, dense)
    assert stats["clusters"] == 4 and stats["noise"] == int((~inside).sum()) and stats["silhouette"] > 0.5


def test_bad_structure_settings_name_the_param():
    vectors, _ = blobs(per_cluster=3, clusters=2)
    with pytest.raises(ValueError, match="embgen_structure.clusters=10 is more than the 6 pairs"):
        cluster(vectors[:, :2], EmbgenStructureParams(clusters=10))
    with pytest.raises(ValueError, match="embgen_structure.neighbours"):
        proximity_graph(vectors, 6)
    spread = np.random.default_rng(0).normal(size=(30, 2))      # no dense groups at all
    with pytest.raises(ValueError, match="all 30 pairs noise.*min_cluster_size"):
        cluster(spread, EmbgenStructureParams(algorithm="hdbscan", min_cluster_size=30))


def test_ctfidf_prefers_words_frequent_here_and_rare_elsewhere():
    texts = {0: ["violin cello orchestra music", "orchestra symphony music"],
             1: ["volcano lava eruption music", "lava magma volcano"]}
    keywords = ctfidf_keywords(texts, 2)
    assert keywords[0][0] == "orchestra" and keywords[1][0] in ("lava", "volcano")
    assert "music" not in keywords[1]   # in both clusters: weighted down


def test_typical_entities_are_nearest_the_centroid():
    vectors = np.array([[1, 0], [0.9, 0.1], [0.5, 0.5], [0, 1]], dtype=float)
    labels = np.array([0, 0, 0, 1])
    names = typical_entities(vectors, labels, ["a", "b", "c", "d"], top=2)
    assert names == {0: ["b", "a"], 1: ["d"]}


def test_umap_compiles_for_numbas_portable_target():
    """Under the default portable kernels numba targets "generic", not the host's CPU features
    (``reduce`` calls portable_numba before importing UMAP; a fresh process, since numba reads the
    setting once, when first imported)."""
    import subprocess
    import sys

    code = ("from synthcraft.methods.embgen.structure import portable_numba\n"
            "portable_numba()\n"
            "import numba\n"
            "print(numba.config.CPU_NAME, repr(numba.config.CPU_FEATURES))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-2:] == ["generic", "''"]
