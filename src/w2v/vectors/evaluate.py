"""Intrinsic evaluation of word vectors: word analogies and word-pair similarity.

Both functions take any object with ``.vectors`` (2-D float array, rows in frequency order,
most frequent first) and ``.index_to_key`` (the word of each row), and give the same numbers
as gensim 4.4's ``KeyedVectors.evaluate_word_analogies`` / ``evaluate_word_pairs``.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from .._util.validation import check_int

__all__ = ["analogy_oov_count", "evaluate_word_analogies", "evaluate_word_pairs"]

logger = logging.getLogger(__name__)

# Questions whose two best candidates are closer than this in cosine (far above the ~1e-6 rounding
# differences of the batched product) are re-scored alone with gensim's own arithmetic and order.
_NEAR_TIE = 1e-4
_TOPN = 5  # candidates the reference keeps after dropping the three question words
_MAX_CELLS = 1 << 25  # bound on a batch's score matrix (batch x restricted vocabulary)


def _ok_vocab(wv: Any, restrict_vocab: int, case_insensitive: bool) -> dict[str, int]:
    """Word (upper-cased if ``case_insensitive``) -> row, over the first ``restrict_vocab``
    rows; among case variants the most frequent (lowest row) wins."""
    ok: dict[str, int] = {}
    for i, key in enumerate(wv.index_to_key[:restrict_vocab]):
        ok.setdefault(key.upper() if case_insensitive else key, i)
    return ok


def _read_analogies(path: str | os.PathLike, fold: bool) -> list[tuple[str, list[tuple]]]:
    """Parse a questions-words file into ``[(section name, [(a, b, c, d), ...]), ...]``."""
    sections: list[tuple[str, list[tuple]]] = []
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.startswith(": "):
                sections.append((line.lstrip(": ").strip(), []))
                continue
            words = line.split()
            if not words:
                continue  # blank lines are allowed anywhere
            if not sections:
                raise ValueError(f"{path}, line {line_no}: question before any ': section' line")
            if len(words) != 4:
                raise ValueError(
                    f"{path}, line {line_no}: expected 4 words, got {len(words)}: {line.strip()!r}"
                )
            sections[-1][1].append(tuple(w.upper() for w in words) if fold else tuple(words))
    return sections


def _reference_guess(wv: Any, norms: np.ndarray, n: int, abc: tuple[int, int, int],
                     canon: np.ndarray) -> int:
    """One question scored exactly like gensim's ``most_similar`` (same float32 arithmetic and
    same ordering of ties); returns the canonical row of the prediction, or -1 for none."""
    ia, ib, ic = abc
    vectors = wv.vectors
    weights = np.array([1.0, 1.0, -1.0])
    mean = np.zeros(vectors.shape[1], vectors.dtype)
    total = 0
    for weight, row in zip(weights, (ib, ic, ia), strict=True):
        mean += weight * (vectors[row] / norms[row])
        total += abs(weight)
    mean = mean / total
    length = np.sqrt(np.dot(mean, mean))
    if length > 0.0:
        mean = (1.0 / length) * mean
    mean = mean.astype(np.float32)
    dists = np.dot(vectors[:n], mean) / norms[:n]
    x, topn = -dists, _TOPN + 3
    if topn >= x.size:
        best = np.argsort(x)[:topn]
    else:
        part = np.argpartition(x, topn)[:topn]
        best = part.take(np.argsort(x.take(part)))
    candidates = [int(i) for i in best if i not in abc][:_TOPN]
    guess = -1
    for i in candidates:
        guess = int(canon[i])
        if guess not in abc:  # a rarer case variant of a question word is skipped too
            break
    return guess


def evaluate_word_analogies(
    wv: Any, path: str | os.PathLike, restrict_vocab: int = 300_000,
    case_insensitive: bool = True, batch_size: int = 1024,
) -> tuple[float, list[dict]]:
    """Accuracy on a word-analogy test set ("a is to b as c is to d") by 3CosAdd: the answer is
    the word, other than a, b and c, whose vector has the largest cosine with
    ``unit(b) + unit(c) - unit(a)``; questions are scored in batches, one matrix product each.

    Parameters
    ----------
    wv : object with ``.vectors`` (2-D float array, most frequent word first) and
        ``.index_to_key`` (list of str).
    path : questions-words file: ``: section name`` lines, then lines of 4 words.
    restrict_vocab : only the first ``restrict_vocab`` words are candidates; questions with a
        word outside them are skipped and counted (the ``"oov"`` key of the last section).
    case_insensitive : compare upper-cased words; when several keys upper-case alike the most
        frequent one stands for all of them. Reported questions are then upper-cased.
    batch_size : most questions per matrix product (fewer if it would exceed 2**25 scores).

    Returns
    -------
    (accuracy, sections) : accuracy = correct / (correct + incorrect) over all sections (0.0 if
        nothing was scored); ``sections`` is a list of ``{"section", "correct", "incorrect"}``
        dicts with lists of ``(a, b, c, d)``, the last one ``"Total accuracy"`` with an extra
        ``"oov"`` count of skipped questions.

    Raises ``FileNotFoundError`` for a missing file, ``ValueError`` naming the file and line for
    a line that is not 4 words or comes before the first section header (blank lines are skipped).

    Example
    -------
    >>> score, sections = evaluate_word_analogies(model.wv, "questions-words.txt")
    >>> 0 <= score <= 1, analogy_oov_count(sections)  # one question has an unknown word
    (True, 1)
    """
    restrict_vocab = check_int("restrict_vocab", restrict_vocab, minimum=0)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    parsed = _read_analogies(path, case_insensitive)
    ok = _ok_vocab(wv, restrict_vocab, case_insensitive)
    n = min(restrict_vocab, len(wv.index_to_key))
    canon = np.array([ok[k.upper() if case_insensitive else k] for k in wv.index_to_key[:n]],
                     dtype=np.int64)  # row -> row of its most frequent case variant

    kept: list[tuple[int, tuple]] = []  # (section number, question) of the scorable questions
    quads, oov = [], 0
    for s, (_, questions) in enumerate(parsed):
        for q in questions:
            if all(w in ok for w in q):
                kept.append((s, q))
                quads.append([ok[w] for w in q])
            else:
                oov += 1
    quads_arr = np.array(quads, dtype=np.int64).reshape(-1, 4)
    hits = np.zeros(len(quads_arr), dtype=bool)

    if len(quads_arr):
        vectors = np.asarray(wv.vectors)
        # norms as gensim computes them (np.linalg.norm), so near ties resolve identically
        norms = np.linalg.norm(vectors[:n], axis=1)
        dtype = vectors.dtype if vectors.dtype.kind == "f" else np.dtype(np.float32)
        unit = (vectors[:n] / np.where(norms > 0, norms, 1)[:, None]).astype(dtype, copy=False)
        step = max(1, min(batch_size, _MAX_CELLS // max(n, 1)))
        for start in range(0, len(quads_arr), step):
            abcd = quads_arr[start : start + step]
            ia, ib, ic, id_ = abcd.T
            query = unit[ib] + unit[ic] - unit[ia]
            query /= np.maximum(np.linalg.norm(query, axis=1), 1e-30)[:, None]
            sims = query @ unit.T
            rows = np.arange(len(abcd))
            for col in (ia, ib, ic):
                sims[rows, col] = -np.inf
            best = sims.argmax(axis=1)
            top1 = sims[rows, best].copy()
            sims[rows, best] = -np.inf
            top2 = sims.max(axis=1)
            guess = canon[best]
            redo = ~(top1 - top2 >= _NEAR_TIE) | (guess == ia) | (guess == ib) | (guess == ic)
            for r in np.flatnonzero(redo):
                guess[r] = _reference_guess(wv, norms, n, tuple(abcd[r, :3].tolist()), canon)
            hits[start : start + step] = guess == id_

    sections: list[dict] = [{"section": name, "correct": [], "incorrect": []} for name, _ in parsed]
    for (s, q), hit in zip(kept, hits, strict=True):
        sections[s]["correct" if hit else "incorrect"].append(q)
    for section in sections:
        _log_section(section)
    total = {
        "section": "Total accuracy",
        "correct": [q for s in sections for q in s["correct"]],
        "incorrect": [q for s in sections for q in s["incorrect"]],
        "oov": oov,
    }
    score = _log_section(total)
    logger.info("skipped %d of %d questions: words outside the first %d", oov, oov + len(kept), n)
    return score, [*sections, total]


def _log_section(section: dict) -> float:
    right, wrong = len(section["correct"]), len(section["incorrect"])
    if right + wrong == 0:
        return 0.0
    logger.info("%s: %.1f%% (%d/%d)", section["section"], 100 * right / (right + wrong), right,
                right + wrong)
    return right / (right + wrong)


def analogy_oov_count(sections: list[dict]) -> int:
    """Questions skipped for out-of-vocabulary words, from ``evaluate_word_analogies``'s result.

    Example
    -------
    >>> analogy_oov_count([{"section": "Total accuracy", "correct": [], "incorrect": [], "oov": 3}])
    3
    """
    return int(sections[-1].get("oov", 0))


def _average_ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``x``, tied values sharing the mean of their ranks."""
    order = np.argsort(x, kind="stable")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], len(x)]
    mean_rank = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    ranks = np.empty(len(x))
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    dx, dy = x - x.mean(), y - y.mean()
    denom = np.sqrt(np.dot(dx, dx) * np.dot(dy, dy))
    return float(np.dot(dx, dy) / denom) if denom > 0 else float("nan")


def evaluate_word_pairs(
    wv: Any, path: str | os.PathLike, case_insensitive: bool = True, restrict_vocab: int = 300_000,
) -> dict[str, float]:
    """Correlation of cosine similarities with human similarity scores (e.g. WordSim-353).

    Parameters
    ----------
    wv : object with ``.vectors`` and ``.index_to_key`` (most frequent word first).
    path : tab-separated ``word1<TAB>word2<TAB>score`` lines; lines starting with ``#`` and
        blank lines are ignored.
    case_insensitive : compare upper-cased words, the most frequent case variant standing for all.
    restrict_vocab : pairs with a word outside the first ``restrict_vocab`` words are skipped.

    Returns
    -------
    ``{"pearson": r, "spearman": rho, "oov_ratio": f}``: Pearson's r and Spearman's rho (tied
    values share their mean rank) over the scored pairs, and the FRACTION (0..1, where gensim
    gives a percent) of pairs skipped for unknown words. ``ValueError`` if no pair can be scored
    or a line is not three tab-separated fields ending in a number.

    Example
    -------
    >>> result = evaluate_word_pairs(model.wv, "wordsim353.tsv")
    >>> -1 <= result["spearman"] <= 1, result["oov_ratio"]
    (True, 0.0)
    """
    restrict_vocab = check_int("restrict_vocab", restrict_vocab, minimum=0)
    ok = _ok_vocab(wv, restrict_vocab, case_insensitive)
    gold: list[float] = []
    pairs: list[tuple[int, int]] = []
    oov = 0
    with open(path, encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if line.startswith("#") or not line.strip():
                continue
            try:
                a, b, score = line.split("\t")
                value = float(score)
            except ValueError:
                raise ValueError(
                    f"{path}, line {line_no}: expected 'word<TAB>word<TAB>score', got {line!r}"
                ) from None
            if case_insensitive:
                a, b = a.upper(), b.upper()
            if a in ok and b in ok:
                gold.append(value)
                pairs.append((ok[a], ok[b]))
            else:
                oov += 1
    if not pairs:
        raise ValueError(f"no word pair of {path} could be scored (all out of vocabulary?)")
    rows = np.array(pairs)
    left, right = (np.asarray(wv.vectors)[rows[:, k]] for k in (0, 1))
    left, right = (v / np.linalg.norm(v, axis=1, keepdims=True) for v in (left, right))
    model = np.einsum("ij,ij->i", left, right).astype(np.float64)  # float32 cosines, as gensim
    human = np.array(gold, dtype=np.float64)
    result = {
        "pearson": _pearson(human, model),
        "spearman": _pearson(_average_ranks(human), _average_ranks(model)),
        "oov_ratio": oov / (len(pairs) + oov),
    }
    logger.info("%s: pearson %.4f, spearman %.4f, %.1f%% of pairs out of vocabulary", path,
                result["pearson"], result["spearman"], 100 * result["oov_ratio"])
    return result
