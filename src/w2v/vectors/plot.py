"""Pictures of word vectors: 2-D projections (PCA, t-SNE), labelled scatter plots and loss curves.

matplotlib is imported only when a plotting function is called (``pip install 'w2v[plot]'``),
so ``import w2v.plot`` and ``project(..., "pca")`` work without it. Figures are built without
pyplot (an Agg canvas), so nothing global is touched, and PNG files are written atomically.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._util.atomic import atomic_write

__all__ = ["project", "plot_words", "compare_words", "loss_curve"]

METHODS = ("pca", "tsne")
_NO_MATPLOTLIB = "w2v's plots need matplotlib: pip install 'w2v[plot]'"
_NO_SKLEARN = "t-SNE needs scikit-learn: pip install 'w2v[tsne]'"


def project(vectors: np.ndarray, method: str = "pca", random_state: int = 0) -> np.ndarray:
    """Project ``(n, dim)`` vectors to ``(n, 2)`` coordinates.

    Parameters
    ----------
    vectors : array (n, dim), n >= 2, finite values.
    method : ``"pca"`` (centred rows onto the first two principal axes, each axis signed so
        that its largest-magnitude entry is positive) or ``"tsne"`` (scikit-learn's t-SNE,
        perplexity ``min(30, max(1, (n - 1) / 3))``, PCA initialisation).
    random_state : seed of t-SNE (PCA is deterministic).

    Returns
    -------
    float64 array (n, 2). With ``dim == 1`` the second PCA column is zero.

    Example
    -------
    >>> xy = project(np.array([[0, 0, 0], [2, 0, 0], [0, 1, 0]], dtype=np.float32))
    >>> xy.shape
    (3, 2)
    """
    if method not in METHODS:
        raise ValueError(f"unknown projection method {method!r}; choose one of {METHODS}")
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"vectors must be a (n, dim) matrix, got shape {x.shape}")
    if x.shape[0] < 2:
        raise ValueError(f"projecting needs at least 2 vectors, got {x.shape[0]}")
    if not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.all(np.isfinite(x), axis=1)).tolist()
        raise ValueError(f"vectors hold NaN or infinite values (rows {bad[:10]})")
    if method == "pca":
        return _pca(x)
    return _tsne(x, random_state)


def _pca(x: np.ndarray) -> np.ndarray:
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    signs = np.sign(axes[np.arange(len(axes)), np.argmax(np.abs(axes), axis=1)])
    axes = axes * np.where(signs == 0, 1.0, signs)[:, None]
    coords = np.zeros((x.shape[0], 2))
    coords[:, : len(axes)] = centred @ axes.T
    return coords


def _tsne(x: np.ndarray, random_state: int) -> np.ndarray:
    try:
        from sklearn.manifold import TSNE
    except ImportError as exc:
        raise ImportError(_NO_SKLEARN) from exc
    n = x.shape[0]
    tsne = TSNE(n_components=2, perplexity=min(30.0, max(1.0, (n - 1) / 3)),
                init="pca" if x.shape[1] >= 2 else "random", random_state=random_state)
    return np.asarray(tsne.fit_transform(x), dtype=np.float64)


def _matplotlib() -> tuple[Any, Any]:
    """``(Figure, FigureCanvasAgg)``, or the ImportError telling how to install matplotlib."""
    try:
        import matplotlib  # noqa: F401  (fails first when matplotlib is absent)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(_NO_MATPLOTLIB) from exc
    return Figure, FigureCanvasAgg


def _new_figure(width: float, height: float) -> Any:
    figure_cls, canvas_cls = _matplotlib()
    fig = figure_cls(figsize=(width, height), dpi=100)
    canvas_cls(fig)
    return fig


def _save(fig: Any, path: str | os.PathLike | None) -> None:
    if path is not None:
        with atomic_write(path, "wb") as handle:
            fig.savefig(handle, format="png", dpi="figure")


def _check_words(words: Sequence[str]) -> list[str]:
    if isinstance(words, str):
        words = [words]
    words = list(words)
    repeated = sorted(w for w, count in Counter(words).items() if count > 1)
    if repeated:
        raise ValueError(f"words given more than once: {repeated}")
    return words


#: Offset of a label from its point, in points; labels that would overlap move up a line.
LABEL_OFFSET = (4.0, 4.0)
_MAX_LABEL_SHIFTS = 50


def _scatter(ax: Any, coords: np.ndarray, words: Sequence[str]) -> list[Any]:
    """Draw the points and a label by each; returns the labels (matplotlib annotations)."""
    ax.scatter(coords[:, 0], coords[:, 1], s=30, zorder=2)
    return [ax.annotate(word, xy=(x, y), xytext=LABEL_OFFSET, textcoords="offset points",
                        fontsize=9)
            for word, (x, y) in zip(words, coords, strict=True)]


def _separate_labels(fig: Any, labels: Sequence[Any]) -> None:  # matplotlib >= 3.6
    """Move labels up, a line at a time, until none overlaps one placed before it.

    Words that end up together (the point of most pictures) would otherwise print their
    labels on top of each other. Call once the figure's layout is final: the overlaps are
    measured on the rendered text.
    """
    for axes in {label.axes for label in labels}:
        axes.autoscale_view()  # settle the data limits the labels are placed against
    placed: list[Any] = []
    for label in labels:
        line = label.get_window_extent().height * 72.0 / fig.dpi + 1.0
        for _ in range(_MAX_LABEL_SHIFTS):
            box = label.get_window_extent()
            if not any(box.overlaps(other) for other in placed):
                break
            x, y = label.xyann
            label.xyann = (x, y + line)
        placed.append(label.get_window_extent())


def plot_words(wv: Any, words: Sequence[str], method: str = "pca",
               path: str | os.PathLike | None = None, ax: Any = None,
               title: str | None = None) -> tuple[Any, np.ndarray]:
    """Scatter the 2-D projection of some words' vectors, each point labelled by its word.

    Parameters
    ----------
    wv : a :class:`w2v.vectors.keyedvectors.KeyedVectors`.
    words : at least two distinct words of ``wv``; ``KeyError`` names all unknown ones.
    method : ``"pca"`` or ``"tsne"``, see :func:`project`.
    path : if given, the figure is saved there as PNG (atomically).
    ax : matplotlib axes to draw on; by default a new 6x6 inch, 100 dpi figure.
    title : the axes' title (default: the method).

    Returns
    -------
    ``(ax, coords)``, coords being the (len(words), 2) projected points.

    Example
    -------
    >>> ax, xy = plot_words(model.wv, ["king", "queen", "man"], path="words.png")
    >>> xy.shape
    (3, 2)
    """
    _matplotlib()
    words = _check_words(words)
    unknown = [w for w in words if w not in wv]
    if unknown:
        raise KeyError(f"words not in vocabulary: {unknown}")
    if len(words) < 2:
        raise ValueError(f"plot_words needs at least 2 words, got {len(words)}")
    coords = project(np.stack([np.asarray(wv[w]) for w in words]), method)
    if ax is None:
        ax = _new_figure(6, 6).add_subplot()
    labels = _scatter(ax, coords, words)
    ax.set_title(title if title is not None else method.upper())
    _separate_labels(ax.figure, labels)
    _save(ax.figure, path)
    return ax, coords


def compare_words(snapshots: Mapping[str, np.ndarray], words: Sequence[str],
                  path: str | os.PathLike | None = None,
                  method: str = "pca") -> tuple[Any, list[np.ndarray]]:
    """Side-by-side panels of the same words in several snapshots (e.g. before/after training).

    Parameters
    ----------
    snapshots : panel title -> (len(words), dim) array. Each is projected with
        :func:`project`, except 2-D arrays, which are plotted as they are (raw weights).
    words : the label of each row.
    path : if given, the figure is saved there as PNG (atomically).
    method : ``"pca"`` or ``"tsne"``.

    Returns
    -------
    ``(figure, coords)``, coords holding each panel's (len(words), 2) points in order.

    Example
    -------
    >>> rows = {"before": np.random.rand(3, 5), "after": np.random.rand(3, 5)}
    >>> fig, xy = compare_words(rows, ["troll2", "gymkata", "alien"])
    >>> len(fig.axes), [points.shape for points in xy]
    (2, [(3, 2), (3, 2)])
    """
    _matplotlib()
    if not snapshots:
        raise ValueError("compare_words needs at least one snapshot")
    words = _check_words(words)
    arrays = {}
    for name, rows in snapshots.items():
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[0] != len(words):
            raise ValueError(f"snapshot {name!r} must have one row per word "
                             f"({len(words)}), got shape {rows.shape}")
        arrays[name] = rows
    fig = _new_figure(5 * len(arrays), 5)
    axes = fig.subplots(1, len(arrays), squeeze=False)[0]
    all_coords, labels = [], []
    for ax, (name, rows) in zip(axes, arrays.items(), strict=True):
        coords = rows if rows.shape[1] == 2 else project(rows, method)
        labels.append(_scatter(ax, coords, words))
        ax.set_title(str(name))
        all_coords.append(coords)
    fig.tight_layout()
    for panel in labels:
        _separate_labels(fig, panel)
    _save(fig, path)
    return fig, all_coords


def loss_curve(model: Any, path: str | os.PathLike | None = None, ax: Any = None) -> Any:
    """Plot a trained model's mean loss per example for each epoch (and, when recorded, the
    running loss during training as a thin line).

    Parameters
    ----------
    model : has ``loss_history`` (one float per epoch) and optionally ``progress_history``
        (``(epochs_done, running_loss)`` pairs).
    path : if given, the figure is saved there as PNG (atomically).
    ax : matplotlib axes to draw on; by default a new 6x4 inch, 100 dpi figure.

    Returns
    -------
    The axes.

    Example
    -------
    >>> ax = loss_curve(model, path="loss.png")
    >>> len(ax.lines[0].get_xdata()) == model.epochs_trained
    True
    """
    _matplotlib()
    history = getattr(model, "loss_history", None)
    losses = [] if history is None else [float(x) for x in history]
    if not losses:
        raise ValueError("the model has not been trained")
    if ax is None:
        ax = _new_figure(6, 4).add_subplot()
    epochs = np.arange(1, len(losses) + 1)
    ax.plot(epochs, losses, marker="o", label="mean loss per epoch")
    progress = getattr(model, "progress_history", None)
    progress = [] if progress is None else list(progress)
    if progress:
        done, running = zip(*progress, strict=True)
        ax.plot(done, running, linewidth=0.8, alpha=0.7, label="running loss")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    _save(ax.figure, path)
    return ax
