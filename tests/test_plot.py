"""w2v.vectors.plot: projections checked against independent computations, and rendered pictures
checked pixel by pixel (points drawn where the projection puts them)."""

import importlib
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import w2v
from w2v import KeyedVectors
from w2v.vectors import plot
from w2v.vectors.plot import compare_words, loss_curve, plot_words, project

WORDS = ["troll2", "gymkata", "alien", "jaws", "rocky", "heat"]


@pytest.fixture
def kv():
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((len(WORDS) + 2, 10)).astype(np.float32)
    return KeyedVectors(vectors, WORDS + ["extra1", "extra2"])


def anisotropic(n=30, dim=6, seed=0):
    """Random rows with clearly different variances per direction (distinct eigenvalues)."""
    rng = np.random.default_rng(seed)
    rotation, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    return (rng.standard_normal((n, dim)) * np.linspace(5, 0.5, dim)) @ rotation + 3.0


def eigh_axes(x):
    """The two leading eigenvectors of the covariance matrix, as columns."""
    values, vectors = np.linalg.eigh(np.cov(x, rowvar=False))
    return vectors[:, np.argsort(values)[::-1][:2]]


# ------------------------------------------------------------------ project
def test_pca_matches_covariance_eigenvectors_up_to_sign():
    x = anisotropic()
    coords = project(x)
    expected = (x - x.mean(axis=0)) @ eigh_axes(x)
    assert coords.shape == (30, 2)
    for j in range(2):
        sign = np.sign(coords[:, j] @ expected[:, j])
        np.testing.assert_allclose(coords[:, j], sign * expected[:, j], atol=1e-9)


def test_pca_sign_is_deterministic():
    x = anisotropic(seed=3)
    axes = eigh_axes(x)
    axes *= np.sign(axes[np.argmax(np.abs(axes), axis=0), [0, 1]])  # largest entry positive
    np.testing.assert_allclose(project(x), (x - x.mean(axis=0)) @ axes, atol=1e-9)
    np.testing.assert_allclose(project(-x)[:, 0], -project(x)[:, 0], atol=1e-9)
    np.testing.assert_array_equal(project(x.astype(np.float32)), project(x.astype(np.float32)))


def test_pca_recovers_two_planted_clusters():
    rng = np.random.default_rng(7)
    direction = rng.standard_normal(20)
    direction /= np.linalg.norm(direction)
    noise = rng.standard_normal((20, 20))
    x = noise + np.where(np.arange(20) < 10, -10.0, 10.0)[:, None] * direction
    first = project(x)[:, 0]
    a, b = first[:10], first[10:]
    assert a.max() < b.min() or b.max() < a.min()
    assert abs(a.mean() - b.mean()) > 15  # the clusters sit 20 apart along the first axis


def test_pca_of_2d_rows_is_a_rigid_motion():
    x = anisotropic(n=12, dim=2)
    coords = project(x)
    assert not np.allclose(coords, x)
    distances = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.testing.assert_allclose(np.linalg.norm(coords[:, None] - coords[None], axis=-1),
                               distances, atol=1e-9)


def test_tsne_gives_finite_2d_coordinates():
    pytest.importorskip("sklearn")
    coords = project(anisotropic(n=20, dim=5), method="tsne")
    assert coords.shape == (20, 2)
    assert np.all(np.isfinite(coords))


@pytest.mark.parametrize(("rows", "message"), [
    (np.zeros((1, 4)), "at least 2"),
    (np.array([[0.0, 1.0], [np.nan, 0.0]]), "NaN"),
    (np.array([[0.0, np.inf], [1.0, 0.0]]), "infinite"),
])
def test_project_rejects_bad_rows(rows, message):
    with pytest.raises(ValueError, match=message):
        project(rows)


def test_project_rejects_unknown_method():
    with pytest.raises(ValueError, match="umap") as info:
        project(np.eye(3), method="umap")
    assert "pca" in str(info.value) and "tsne" in str(info.value)


# --------------------------------------------------------------- plot_words
def test_plot_words_draws_each_word_where_projected(kv, tmp_path):
    imread = pytest.importorskip("matplotlib.image").imread
    path = tmp_path / "words.png"
    ax, coords = plot_words(kv, WORDS, path=path)
    np.testing.assert_allclose(coords, project(kv[WORDS]))
    assert [p.name for p in tmp_path.iterdir()] == ["words.png"]  # no temporary file left
    image = imread(path)
    assert image.shape[:2] == (600, 600) and image.shape[2] in (3, 4)
    height = image.shape[0]
    for x, y in ax.transData.transform(coords):
        row, col = int(round(height - y)), int(round(x))
        patch = image[row - 2:row + 3, col - 2:col + 3, :3]
        assert patch.size and patch.min() < 0.8, f"no point drawn at pixel ({row}, {col})"
    assert image[2, 2, :3].min() > 0.99  # the corner is background
    texts = {t.get_text(): t for t in ax.texts}
    assert sorted(texts) == sorted(WORDS)
    for word, point in zip(WORDS, coords, strict=True):
        np.testing.assert_allclose(texts[word].xy, point)
    np.testing.assert_allclose(ax.collections[0].get_offsets(), coords)


def test_plot_words_uses_given_axes_and_keyedvectors_method(kv):
    figure = pytest.importorskip("matplotlib.figure")
    ax = figure.Figure().add_subplot()
    returned, coords = kv.plot(WORDS[:3], ax=ax)
    assert returned is ax
    np.testing.assert_allclose(coords, project(kv[WORDS[:3]]))
    assert len(ax.texts) == 3


def test_plot_words_errors(kv):
    pytest.importorskip("matplotlib")
    with pytest.raises(KeyError, match="nope") as info:
        plot_words(kv, ["troll2", "nope", "gone"])
    assert "gone" in str(info.value)
    with pytest.raises(ValueError, match="at least 2"):
        plot_words(kv, ["troll2"])
    with pytest.raises(ValueError, match="umap"):
        plot_words(kv, WORDS, method="umap")
    with pytest.raises(ValueError, match="more than once.*jaws"):
        plot_words(kv, ["jaws", "heat", "jaws"])


# ------------------------------------------------------------ compare_words
def test_compare_words_two_panels_and_raw_2d_rows(tmp_path):
    imread = pytest.importorskip("matplotlib.image").imread
    rng = np.random.default_rng(2)
    before, after = rng.standard_normal((4, 8)), rng.standard_normal((4, 2))
    words = WORDS[:4]
    fig, coords = compare_words({"before training": before, "after training": after},
                                words, path=tmp_path / "cmp.png")
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["before training", "after training"]
    np.testing.assert_allclose(coords[0], project(before))
    np.testing.assert_allclose(coords[1], after)
    np.testing.assert_allclose(fig.axes[1].collections[0].get_offsets(), after)
    assert sorted(t.get_text() for t in fig.axes[0].texts) == sorted(words)
    assert imread(tmp_path / "cmp.png").shape[:2] == (500, 1000)
    with pytest.raises(ValueError, match="one row per word"):
        compare_words({"x": before}, words[:3])


def test_labels_of_words_in_one_place_do_not_overlap():
    pytest.importorskip("matplotlib")
    # three words on one spot (as trained films end up) and one far away
    after = np.array([[1.0, 1.0], [1.0, 1.0], [1.001, 1.0], [-1.0, -1.0]])
    words = ["Troll 2", "Gymkata", "Jaws", "great"]
    fig, _ = compare_words({"after": after}, words)
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    for i in range(len(boxes)):
        for j in range(i):
            assert not boxes[i].overlaps(boxes[j]), (words[i], words[j])
    for text, point in zip(ax.texts, after, strict=True):  # each still labels its point
        np.testing.assert_allclose(text.xy, point)
    assert len({t.xyann for t in ax.texts[:3]}) == 3  # the three stacked
    assert ax.texts[3].xyann == plot.LABEL_OFFSET  # the lone word left in place


# --------------------------------------------------------------- loss_curve
def test_loss_curve_plots_epochs_and_progress(tmp_path):
    pytest.importorskip("matplotlib")
    progress = [(0.5, 3.4), (1.0, 3.0), (1.5, 2.5), (2.0, 2.2), (3.0, 1.9)]
    model = SimpleNamespace(loss_history=[3.1, 2.4, 2.0], progress_history=progress)
    ax = loss_curve(model, path=tmp_path / "loss.png")
    epochs, steps = ax.lines
    np.testing.assert_array_equal(epochs.get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(epochs.get_ydata(), model.loss_history)
    assert epochs.get_marker() not in (None, "None", "")
    np.testing.assert_array_equal(steps.get_xdata(), [p[0] for p in progress])
    np.testing.assert_array_equal(steps.get_ydata(), [p[1] for p in progress])
    assert steps.get_linewidth() < epochs.get_linewidth()
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_loss_curve_without_progress_and_untrained():
    pytest.importorskip("matplotlib")
    ax = loss_curve(SimpleNamespace(loss_history=np.array([2.0, 1.0])))
    assert len(ax.lines) == 1
    with pytest.raises(ValueError, match="not been trained"):
        loss_curve(SimpleNamespace(loss_history=[], progress_history=[(0.5, 1.0)]))


# ---------------------------------------------------------- missing packages
def test_missing_matplotlib_message(kv, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "w2v.vectors.plot")
    importlib.import_module("w2v.plot")  # (whichever tests ran before)
    monkeypatch.setattr(w2v, "plot", sys.modules["w2v"].plot)  # restored after the test
    plot = importlib.import_module("w2v.vectors.plot")  # importing needs no matplotlib
    assert project(kv[WORDS]).shape == (len(WORDS), 2)
    for call in (lambda: plot.plot_words(kv, WORDS), lambda: kv.plot(WORDS),
                 lambda: plot.compare_words({"a": kv[WORDS]}, WORDS),
                 lambda: plot.loss_curve(SimpleNamespace(loss_history=[1.0]))):
        with pytest.raises(ImportError, match=r"w2v\[plot\]"):
            call()


def test_missing_sklearn_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)
    with pytest.raises(ImportError, match=r"w2v\[tsne\]"):
        project(np.eye(4), method="tsne")
