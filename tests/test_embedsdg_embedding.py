"""EmbedSDG's embedding arithmetic: token weights, eq. 4 (padding, averaging), eq. 5 (the PCA
midpoint property), and dim_red's out-of-sample placement."""
import numpy as np
import pytest
import torch

from synthcraft.methods.embedsdg.embedding import (EmbedParams, interpolate, interpolation_vector, load_student,
                                                   sequence_vector, token_weights, weighted_matrices)
from synthcraft.methods.embedsdg.reduce import Reducer


def test_interpolate_pads_the_shorter_matrix_with_zeros_and_averages():
    a = np.array([[2.0, 4.0], [6.0, 8.0], [10.0, 12.0]])   # 3 tokens, N = 2
    b = np.array([[4.0, 0.0]])                             # 1 token
    assert np.array_equal(interpolate(a, b), np.array([[3.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    assert np.array_equal(interpolate(b, a), interpolate(a, b))
    assert interpolate(a, a) is not a and np.array_equal(interpolate(a, a), a)


def test_interpolation_vector_is_the_midpoint_of_the_seeds_vectors():
    a, b = np.arange(6.0).reshape(3, 2), np.array([[1.0, 1.0]])
    assert np.allclose(sequence_vector(a), [2.0, 3.0])
    assert np.allclose(interpolation_vector(a, b), [1.5, 2.0])


def test_attention_weights_drop_the_sink_and_have_mean_one():
    attention = torch.zeros(1, 2, 4, 4)
    attention[0, :, :, 0] = 0.7            # every query looks mostly at the first token
    attention[0, :, :, 1] = 0.2
    attention[0, :, :, 2] = 0.1
    mask = torch.tensor([[1, 1, 1, 0]])    # 3 real tokens, one pad
    w = token_weights(attention, mask, "attention")
    assert w[0, 0] == 0 and w[0, 3] == 0
    assert w[0, :3].mean() == pytest.approx(1.0)
    assert w[0, 1] / w[0, 2] == pytest.approx(2.0)
    assert torch.equal(token_weights(None, mask, "uniform"), mask.float())


def test_a_one_token_text_falls_back_to_uniform():
    attention = torch.ones(1, 1, 1, 1)
    assert token_weights(attention, torch.tensor([[1]]), "attention").tolist() == [[1.0]]


def test_pca_places_the_interpolation_exactly_at_the_midpoint():
    """Section 3.5: with a linear dim_red, i(t1, t2) is the midpoint of e(t1) and e(t2), so it lies in
    any rectangle containing both."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 16))
    for method in ("pca", "svd"):
        reducer = Reducer(method, 2)
        points = reducer.fit(vectors)
        middle = reducer.transform(((vectors[3] + vectors[7]) / 2)[None])[0]
        assert np.allclose(middle, (points[3] + points[7]) / 2)


def test_tsne_places_new_points_near_their_neighbours():
    rng = np.random.default_rng(0)
    vectors = np.vstack([rng.normal(0, 0.1, (20, 8)), rng.normal(5, 0.1, (20, 8))])
    reducer = Reducer("tsne", 2, perplexity=5)
    points = reducer.fit(vectors)
    placed = reducer.transform(vectors[:1] + 0.01)[0]
    assert np.linalg.norm(placed - points[:20].mean(0)) < np.linalg.norm(placed - points[20:].mean(0))
    assert not reducer.linear and reducer.explained_variance is None


@pytest.mark.parametrize("method, shape", [("pca", (40, 16)), ("svd", (40, 16)), ("tsne", (40, 16)),
                                           ("pca", (332, 576)), ("svd", (332, 576))])   # the default run's size
def test_a_saved_reducer_places_points_bit_for_bit_and_loads_without_pickle(tmp_path, method, shape):
    """The reducer travels from embedsdg_embed to embedsdg_decode as arrays and plain values (it was
    a pickle, which runs code when loaded), each in the memory layout the fitted map used."""
    rng = np.random.default_rng(0)
    vectors, later = rng.normal(size=shape), rng.normal(size=(5, shape[1]))
    reducer = Reducer(method, 2, perplexity=5)
    reducer.fit(vectors)
    reducer.save(tmp_path / "reducer.npz")
    loaded = Reducer.load(tmp_path / "reducer.npz")
    assert np.array_equal(loaded.transform(later), reducer.transform(later))
    assert loaded.explained_variance == reducer.explained_variance and loaded.linear == reducer.linear
    with np.load(tmp_path / "reducer.npz", allow_pickle=False) as data:  # nothing in it needs pickle
        assert all(data[key].dtype != object for key in data.files)


@pytest.mark.parametrize("k", [1, 4])
def test_k_outside_2_or_3_names_the_param(k):
    with pytest.raises(ValueError, match="embedsdg_embed.k"):
        EmbedParams(k=k)


def test_too_small_a_pool_is_a_clear_error():
    with pytest.raises(ValueError, match="pool_per_subject"):
        Reducer("pca", 3).fit(np.ones((3, 5)))


def test_weighted_matrices_have_the_students_width(tiny_base):
    model, tokenizer = load_student(str(tiny_base))
    texts = ["The heart pumps blood.", "Mitochondria make ATP for the cell, mostly."]
    for kind in ("attention", "uniform"):
        matrices, cut = weighted_matrices(model, tokenizer, texts, EmbedParams(weights=kind, batch_size=2))
        lengths = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
        assert [m.shape for m in matrices] == [(n, 64) for n in lengths] and cut == 0
    ids = tokenizer(texts[1], add_special_tokens=False)["input_ids"]
    raw = model.get_input_embeddings()(torch.tensor(ids)).detach().numpy()
    assert np.allclose(matrices[1], raw, atol=1e-6)    # uniform weights: the token embeddings themselves
    _, cut = weighted_matrices(model, tokenizer, texts, EmbedParams(max_tokens=3))
    assert cut == 2
