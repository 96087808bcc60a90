"""The vocabulary: words, their counts, and the per-word tables training needs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from .._util.validation import check_int
from .corpus import PathCorpus

if TYPE_CHECKING:
    from .._scan import CountScanner

__all__ = ["Vocabulary", "count_words"]


def count_words(
    sentences: Iterable[list[str]], max_vocab_size: int | None = None, min_count: int = 0
) -> tuple[Counter[str], int, int]:
    """Count the words of a corpus in one pass.

    When ``max_vocab_size`` is set, memory is bounded the way the C tool does
    it: whenever more distinct words than that have been seen (checked after
    each sentence), words with a count of at most ``min_reduce`` are dropped and
    ``min_reduce`` (starting at 1) goes up by one.

    A :class:`~w2v.data.corpus.PathCorpus` read as strict UTF-8 is scanned by the compiled
    tokenizer (:mod:`w2v._scan`) instead of being iterated, with the same results.

    Parameters
    ----------
    sentences : re-iterable of token lists.
    max_vocab_size : bound on distinct words kept during the scan, or None.
    min_count : only words counted at least this often are returned (the rest still
        count in the totals); a vocabulary never needs the others, and on a large
        corpus they are most of the distinct words.

    Returns
    -------
    (counts, words, sentences) : the surviving counts, and the number of tokens and
    sentences scanned.

    Example
    -------
    >>> counts, n_words, n_sentences = count_words([["a", "b", "a"]])
    >>> counts["a"], n_words, n_sentences
    (2, 3, 1)
    """
    # a negative bound would prune forever
    max_vocab_size = check_int("max_vocab_size", max_vocab_size, minimum=0, allow_none=True)
    fast = _count_path_corpus(sentences, max_vocab_size, min_count)
    if fast is not None:
        return fast
    counts: Counter[str] = Counter()
    n_words = 0
    n_sentences = 0
    min_reduce = 1
    for sentence in sentences:
        counts.update(sentence)
        n_words += len(sentence)
        n_sentences += 1
        while max_vocab_size is not None and len(counts) > max_vocab_size:
            counts = Counter({w: c for w, c in counts.items() if c > min_reduce})
            min_reduce += 1
    if min_count > 1:
        counts = Counter({w: c for w, c in counts.items() if c >= min_count})
    return counts, n_words, n_sentences


def _count_path_corpus(
    sentences: Iterable[list[str]], max_vocab_size: int | None, min_count: int = 0
) -> tuple[Counter[str], int, int] | None:
    """:func:`count_words` for a :class:`PathCorpus`, by the compiled scanner.

    Returns None (the caller then iterates) for anything else, for a corpus the
    scanner does not support (see :meth:`PathCorpus.feed_scanner`), or a ``max_vocab_size``
    that is not an int >= 0.

    Example
    -------
    >>> _count_path_corpus([["a"]], None) is None
    True
    """
    if not isinstance(sentences, PathCorpus) or not sentences.fast_scan_supported():
        return None
    if max_vocab_size is None:
        bound = -1
    elif type(max_vocab_size) is int and 0 <= max_vocab_size < 1 << 62:
        bound = max_vocab_size
    else:
        return None
    scanner = scan_counts(sentences, bound)
    if scanner is None:
        return None
    counts: Counter[str] = Counter()
    scanner.counts(counts, min_count)  # rarer words never become Python strings
    return counts, scanner.words, scanner.sentences


def scan_counts(corpus: PathCorpus, max_vocab_size: int = -1,
                record_limit: int = 0) -> CountScanner | None:
    """One pass of the compiled counter over ``corpus`` (a PathCorpus it supports, see
    :meth:`PathCorpus.feed_scanner`): the spent :class:`w2v._scan.CountScanner`, or None
    if the scanner cannot reproduce iteration (the caller then iterates).

    Parameters
    ----------
    corpus : the path corpus.
    max_vocab_size : bound on distinct words during the scan; -1 for none.
    record_limit : tokens to record for :meth:`~w2v._scan.CountScanner.encoded`; 0: none.

    Example
    -------
    >>> scan_counts(PathCorpus("text8")).words
    1280
    """
    from .._scan import CountScanner

    # no line has 2**62 tokens: a longer max_sentence_length acts the same
    scanner = CountScanner(min(corpus.max_sentence_length, 1 << 62), max_vocab_size,
                           record_limit)
    return scanner if corpus.feed_scanner(scanner) else None


class Vocabulary:
    """Words sorted by descending count (ties in code-point order of the word).

    Parameters
    ----------
    counts : mapping from word to count.
    min_count : words seen fewer times are left out.
    max_final_vocab : if set, ``min_count`` is raised just enough that at most this
        many words remain (words with equal counts are never split).
    corpus_words : tokens in the scanned corpus (for reports); defaults to the sum
        of ``counts``.

    Example
    -------
    >>> vocab = Vocabulary({"the": 3, "cat": 1, "sat": 1}, min_count=1)
    >>> vocab.index_to_key
    ['the', 'cat', 'sat']
    """

    def __init__(
        self,
        counts: Mapping[str, int],
        min_count: int = 5,
        max_final_vocab: int | None = None,
        corpus_words: int | None = None,
    ) -> None:
        self.min_count = _effective_min_count(counts, min_count, max_final_vocab)
        # sorted by word, then stably by descending count: ties stay in word order (no
        # list of (word, count) tuples: half the peak memory for millions of words)
        words = sorted(w for w, c in counts.items() if c >= self.min_count)
        kept = np.fromiter((counts[w] for w in words), dtype=np.int64, count=len(words))
        order = np.argsort(-kept, kind="stable")
        self.index_to_key: list[str] = [words[i] for i in order.tolist()]
        self.key_to_index: dict[str, int] = {w: i for i, w in enumerate(self.index_to_key)}
        self.counts = kept[order]
        self.corpus_words = int(sum(counts.values())) if corpus_words is None else corpus_words

    @classmethod
    def build(
        cls,
        sentences: Iterable[list[str]],
        min_count: int = 5,
        max_vocab_size: int | None = None,
        max_final_vocab: int | None = None,
    ) -> Vocabulary:
        """Scan ``sentences`` once and build the vocabulary.

        Example
        -------
        >>> Vocabulary.build([["a", "b", "a"]], min_count=2).index_to_key
        ['a']
        """
        counts, n_words, _ = count_words(sentences, max_vocab_size, min_count)
        return cls(counts, min_count, max_final_vocab, corpus_words=n_words)

    def merged(self, counts: Mapping[str, int], corpus_words: int) -> Vocabulary:
        """This vocabulary plus the counts of another corpus (for incremental training).

        Known words add the new counts; unknown words join when they reach ``min_count``
        in the new corpus alone. ``max_final_vocab`` is not applied again: no word is lost.

        Example
        -------
        >>> vocab = Vocabulary({"a": 3, "b": 2}, min_count=2)
        >>> vocab.merged({"b": 2, "c": 2, "d": 1}, corpus_words=5).index_to_key
        ['b', 'a', 'c']
        """
        total = dict(zip(self.index_to_key, self.counts.tolist(), strict=True))
        for word, count in counts.items():
            if word in total:
                total[word] += count
            elif count >= self.min_count:
                total[word] = count
        merged = Vocabulary(total, min_count=0, corpus_words=self.corpus_words + corpus_words)
        merged.min_count = self.min_count
        return merged

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} words, min_count={self.min_count})"

    @property
    def retained_words(self) -> int:
        """Total count of the words kept: the tokens training will see per epoch."""
        return int(self.counts.sum())

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """Per-word probability of keeping an occurrence under subsampling.

        The C tool's formula, with ``t = sample * retained_words`` and count ``c``:
        ``(sqrt(c / t) + 1) * t / c``, capped at 1. ``sample=0`` keeps every word.

        Example
        -------
        >>> Vocabulary({"a": 100, "b": 1}, min_count=1).keep_probabilities(0.01).round(3)
        array([0.111, 1.   ])
        """
        if sample <= 0:
            return np.ones(len(self), dtype=np.float64)
        threshold = sample * self.retained_words
        c = self.counts.astype(np.float64)
        return np.minimum((np.sqrt(c / threshold) + 1.0) * threshold / c, 1.0)

    def noise_distribution(self, exponent: float = 0.75) -> np.ndarray:
        """Negative-sampling distribution: ``count ** exponent``, normalised.

        Example
        -------
        >>> Vocabulary({"a": 16, "b": 1}, min_count=1).noise_distribution(0.5)
        array([0.8, 0.2])
        """
        weights = self.counts.astype(np.float64) ** exponent
        return weights / weights.sum()


def _effective_min_count(
    counts: Mapping[str, int], min_count: int, max_final_vocab: int | None
) -> int:
    """Raise ``min_count`` until at most ``max_final_vocab`` words reach it."""
    if max_final_vocab is None:
        return min_count
    kept = sorted((c for c in counts.values() if c >= min_count), reverse=True)
    if len(kept) <= max_final_vocab:
        return min_count
    return max(min_count, kept[max_final_vocab] + 1)
