"""Phrase detection: join frequent collocations ("new york" -> ``new_york``) before training.

:class:`Phrases` counts unigrams and bigrams in one pass over any corpus w2v accepts, then
rewrites sentences greedily left to right, joining a token with the next one when their
bigram scores above ``threshold`` (a token is never joined twice, so one pass makes
bigrams; a second :class:`Phrases` trained on the output makes trigrams). Four scorers:

* ``"word2phrase"``: the C tool's ``(n(ab) - min_count) / n(a) / n(b) * train_words``,
  in float32; ``a``, ``b`` and ``ab`` need ``min_count`` counts; usual threshold 100.
* ``"default"``: gensim's original scorer, ``(n(ab) - min_count) / (n(a) * n(b)) *
  len(vocab)``, where ``len(vocab)`` counts unigrams *and* bigrams; usual threshold 10.
* ``"npmi"``: ``ln(p(ab) / (p(a) p(b))) / -ln(p(ab))``, in [-1, 1]; ``ab`` needs
  ``min_count`` counts; usual threshold 0.5 (gensim's docs suggest 0.5 too).
* a callable ``f(worda_count, wordb_count, bigram_count, len_vocab, min_count,
  corpus_word_count)``, gensim's signature.

Thresholds do not carry over between scorers: pass the one that fits the scorer.

Example
-------
>>> corpus = [["new", "york", "is", "big"], ["i", "love", "new", "york"]] * 5
>>> phrases = Phrases(corpus, min_count=1, threshold=0.5)
>>> phrases[["i", "saw", "new", "york"]]
['i', 'saw', 'new_york']
"""

from __future__ import annotations

import json
import math
import os
import struct
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._util.atomic import atomic_write
from .._util.validation import InvalidParameterError, check_choice, check_int, check_number
from .corpus import PathCorpus, as_corpus

if TYPE_CHECKING:
    from .._scan import PhraseScanner

__all__ = [
    "ENGLISH_CONNECTOR_WORDS", "FrozenPhrases", "PhraseChain", "PhrasedCorpus", "Phrases",
    "default_score", "npmi_score", "word2phrase_score",
]

#: English function words a phrase may span but never start or end with
#: (``bank_of_america``, ``lord_of_the_rings``). Pass ``connector_words=ENGLISH_CONNECTOR_WORDS``.
ENGLISH_CONNECTOR_WORDS = frozenset(
    "a an the "  # articles
    "of for with without at from to in on by "  # the prepositions of most names
    "and or".split()  # conjunctions ("research_and_development")
)

#: Each scorer's usual threshold (see the module's table).
DEFAULT_THRESHOLDS = {"word2phrase": 100.0, "default": 10.0, "npmi": 0.5}
_FORMAT = "w2v-phrases"
_CHAIN_FORMAT = "w2v-phrase-chain"
_VERSION = 1
_PACK = struct.Struct("f")
_MEMO_SIZE = 1 << 20  # candidates whose verdict a Phrases remembers while transforming
_C_WORD = 59  # word2phrase.c's MAX_STRING - 1: words are cut to 58 bytes, bigrams to 59


def _f32(value: float) -> float:
    """``value`` rounded to the nearest float32 (a double op then this rounding equals the
    float32 op for + - * /, so float32 C arithmetic is reproduced exactly)."""
    return _PACK.unpack(_PACK.pack(value))[0]


def _c_word(word: str) -> str:
    """``word`` as word2phrase.c reads it: cut to its first 58 bytes."""
    if len(word) <= 14:  # 59 bytes need 15 characters at least
        return word
    data = word.encode("utf-8", "surrogateescape")
    if len(data) < _C_WORD:
        return word
    return data[:_C_WORD - 1].decode("utf-8", "surrogateescape")


def _c_key(key: str) -> str:
    """A bigram ``key`` as word2phrase.c stores it: cut to 59 bytes."""
    if len(key) <= 14:
        return key
    data = key.encode("utf-8", "surrogateescape")
    if len(data) <= _C_WORD:
        return key
    return data[:_C_WORD].decode("utf-8", "surrogateescape")


def _c_long(key: str) -> bool:
    """Whether word2phrase.c may have cut ``key`` (59 bytes or more)."""
    return len(key) >= _C_WORD or (len(key) > 14 and not key.isascii()
                                   and len(key.encode("utf-8", "surrogateescape")) >= _C_WORD)


def word2phrase_score(worda_count: int, wordb_count: int, bigram_count: int, len_vocab: int,
                      min_count: int, corpus_word_count: int) -> float:
    """The C tool's score, ``(n(ab) - min_count) / n(a) / n(b) * train_words``, in float32.

    ``train_words`` is ``corpus_word_count``: every token read, as word2phrase.c counts it.
    ``len_vocab`` is unused.

    Example
    -------
    >>> word2phrase_score(8, 4, 13, 0, 5, 1000)
    250.0
    """
    score = _f32(_f32(float(bigram_count - min_count)) / _f32(float(worda_count)))
    score = _f32(score / _f32(float(wordb_count)))
    return _f32(score * _f32(float(corpus_word_count)))


def default_score(worda_count: int, wordb_count: int, bigram_count: int, len_vocab: int,
                  min_count: int, corpus_word_count: int) -> float:
    """gensim's original scorer, ``(n(ab) - min_count) / (n(a) * n(b)) * len_vocab``.

    ``len_vocab`` is the number of entries counted (unigrams and bigrams), not the number of
    words. ``corpus_word_count`` is unused.

    Example
    -------
    >>> default_score(10, 10, 8, 50, 5, 0)
    1.5
    """
    denominator = worda_count * wordb_count
    if denominator == 0:
        return -math.inf
    return (bigram_count - min_count) / float(denominator) * len_vocab


def npmi_score(worda_count: int, wordb_count: int, bigram_count: int, len_vocab: int,
               min_count: int, corpus_word_count: int) -> float:
    """Normalised pointwise mutual information, in [-1, 1]; -inf below ``min_count``.

    Example
    -------
    >>> round(npmi_score(10, 10, 10, 0, 1, 100), 3)
    1.0
    """
    if bigram_count < min_count:
        return -math.inf
    total = float(corpus_word_count)
    pab = bigram_count / total
    try:
        return math.log(pab / ((worda_count / total) * (wordb_count / total))) / -math.log(pab)
    except (ValueError, ZeroDivisionError):
        return -math.inf


_SCORERS: dict[str, Callable[..., float]] = {
    "word2phrase": word2phrase_score, "default": default_score, "npmi": npmi_score,
}
_SCORER_CODES = {"word2phrase": 0, "default": 1, "npmi": 2}  # as w2v._scan numbers them
_SCORER_ARGS = ("worda_count", "wordb_count", "bigram_count", "len_vocab", "min_count",
                "corpus_word_count")


def _check_delimiter(delimiter: object) -> str:
    if not isinstance(delimiter, str) or not delimiter:
        raise InvalidParameterError(f"delimiter must be a non-empty str, got {delimiter!r}")
    return delimiter


def _check_threshold(threshold: object, scoring: object) -> float:
    value = check_number("threshold", threshold)
    if scoring == "npmi" and not -1.0 <= value <= 1.0:
        raise InvalidParameterError(f"threshold must be in [-1, 1] for scoring='npmi', "
                                    f"got {threshold!r}")
    return value


def _analyze(sentence: Sequence[str], connectors: frozenset[str],
             score: Callable[[str, str, list[str]], str | None]) -> list[str]:
    """Greedy left-to-right joining: ``score(a, b, between)`` returns the joined token or None.

    A phrase starts and ends with a non-connector word and may span connector words; after a
    phrase, the next phrase starts at the next word (no token is joined twice).
    """
    out: list[str] = []
    start: str | None = None
    between: list[str] = []
    for word in sentence:
        if word in connectors:
            if start is None:
                out.append(word)
            else:
                between.append(word)
            continue
        if start is not None:
            joined = score(start, word, between)
            if joined is not None:
                out.append(joined)
                start, between = None, []
                continue
            out.append(start)
            out.extend(between)
        start, between = word, []
    if start is not None:
        out.append(start)
        out.extend(between)
    return out


def _unterminated(corpus: Iterable[list[str]]) -> bool:
    """Whether ``corpus`` is one plain text file whose last word ends the file (no space,
    tab or newline after it, ``"\\r"`` aside), which word2phrase.c never counts."""
    if not isinstance(corpus, PathCorpus):
        return False
    files = corpus.files()
    if len(files) != 1:
        return False
    path = files[0]
    if path.suffix in (".gz", ".bz2", ".xz"):
        return False
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(handle.tell() - 4096, 0))
        end = handle.read().rstrip(b"\r")
    return bool(end) and end[-1:] not in (b" ", b"\t", b"\n")


def _last_two_tokens(path: Path) -> tuple[str | None, str | None]:
    """The last token of a file and the one before it (None where there is none)."""
    size = path.stat().st_size
    span = 4096
    while True:
        with open(path, "rb") as handle:
            handle.seek(max(size - span, 0))
            tokens = handle.read().decode("utf-8", "surrogateescape").split()
        if len(tokens) >= 3 or span >= size:
            break
        span *= 4
    if span < size:
        tokens = tokens[1:]  # the first may be cut by the read's start
    return (tokens[-1] if tokens else None), (tokens[-2] if len(tokens) > 1 else None)


def _read_json(path: str | os.PathLike, kind: str) -> Any:
    """The JSON document of a phrase file, or a ValueError naming the file."""
    label = "w2v phrase table" if kind == _FORMAT else "w2v phrase chain"
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{os.fspath(path)}: not a {label} ({error})") from None
    if not isinstance(document, dict) or document.get("format") != kind:
        raise ValueError(f"{os.fspath(path)}: not a {label} (no 'format': {kind!r})")
    return document


class PhrasedCorpus:
    """A corpus seen through a phrase model: a re-iterable view, read again on every pass.

    Made by :meth:`Phrases.transform` and :meth:`FrozenPhrases.transform`; pass it to
    :class:`w2v.Word2Vec` directly, no temporary file needed.

    Example
    -------
    >>> phrases = Phrases([["new", "york"]] * 3, min_count=1, threshold=0.1)
    >>> view = phrases.transform([["in", "new", "york"]])
    >>> list(view) == list(view) == [["in", "new_york"]]
    True
    """

    def __init__(self, model: _PhraseModel, corpus: Any) -> None:
        self.model = model
        self.corpus = as_corpus(corpus)

    def __repr__(self) -> str:
        return f"PhrasedCorpus({self.corpus!r})"

    def __iter__(self) -> Iterator[list[str]]:
        for sentence in self.corpus:
            yield self.model[sentence]


class _PhraseModel:
    """What :class:`Phrases` and :class:`FrozenPhrases` share: joining and transforming."""

    delimiter: str
    threshold: float
    connector_words: frozenset[str]
    _cut = False  # whether words are cut at 59 bytes as word2phrase.c cuts them

    def _joined(self, a: str, b: str, between: list[str]) -> str | None:
        raise NotImplementedError

    def __getitem__(self, sentence: Sequence[str]) -> list[str]:
        """One sentence (a list of tokens) with its phrases joined."""
        return _analyze(sentence, self.connector_words, self._joined)

    def transform(self, corpus: Any) -> PhrasedCorpus:
        """A re-iterable view of ``corpus`` (a path or token lists) with phrases joined.

        Example
        -------
        >>> phrases = Phrases([["hot", "dog"]] * 3, min_count=1, threshold=0.1)
        >>> list(phrases.transform([["a", "hot", "dog"], ["dog"]]))
        [['a', 'hot_dog'], ['dog']]
        """
        return PhrasedCorpus(self, corpus)

    def transform_file(self, source: str | os.PathLike, output: str | os.PathLike) -> int:
        """Write ``source`` with phrases joined, line for line, as word2phrase writes it.

        Each token is preceded by a space, or by the delimiter when joined to the previous
        one; line ends are kept (a blank line stays blank); ``"\\r"`` is dropped and tabs
        separate tokens. As in the C tool, a last token not followed by a newline is dropped.
        The write is atomic. Returns the number of tokens read.

        Example
        -------
        >>> phrases = Phrases([["hot", "dog"]] * 3, min_count=1, threshold=0.1)
        >>> _ = open("in.txt", "w").write("a hot dog\\n\\ndog\\n")
        >>> phrases.transform_file("in.txt", "out.txt")
        4
        >>> open("out.txt").read()
        ' a hot_dog\\n\\n dog\\n'
        """
        words = 0
        with open(source, "rb") as lines, atomic_write(output, "wb") as handle:
            parts: list[str] = []
            for raw in lines:  # streamed a line at a time
                line = raw.replace(b"\r", b"").decode("utf-8", "surrogateescape")
                ended = line.endswith("\n")
                if ended:
                    line = line[:-1]
                tokens = [t for t in line.replace("\t", " ").split(" ") if t]
                if self._cut:
                    tokens = [_c_word(t) for t in tokens]
                if not ended and tokens and line[-1:] not in (" ", "\t"):
                    tokens.pop()  # the C tool reads it, meets the end of file and drops it
                words += len(tokens)
                parts.extend(" " + t for t in self[tokens])
                if ended:
                    parts.append("\n")
                if len(parts) > 65536:
                    handle.write("".join(parts).encode("utf-8", "surrogateescape"))
                    parts.clear()
            handle.write("".join(parts).encode("utf-8", "surrogateescape"))
        return words


class Phrases(_PhraseModel):
    """Learn which bigrams are phrases from a corpus, in one pass and bounded memory.

    Parameters
    ----------
    sentences : path or iterable of token lists, optional
        Anything :class:`w2v.Word2Vec` accepts; counted at once if given (see :meth:`add_vocab`).
    min_count : int
        Bigrams (and, for ``"word2phrase"``, words) seen fewer times are never joined.
        At least 1 for ``"word2phrase"``.
    threshold : float, optional
        A bigram is joined when its score is above this. None: the scorer's usual one
        (word2phrase 100, default 10, npmi 0.5); gensim's own default is 10.
    max_vocab_size : int
        Memory bound on the number of entries (unigrams + bigrams) counted: whenever a
        sentence leaves more than this, every entry with a count of at most ``k`` is dropped,
        ``k`` starting at 1 and going up by one at each pruning, repeated until the table fits
        (word2vec.c's ReduceVocab rule, as :class:`w2v.data.Vocabulary` does for words).
        Pruned counts restart from zero, so counts can only be underestimated.
    delimiter : str
        Joins the tokens of a phrase. Bigrams are counted under their joined string (as both
        peers do), so a token that already contains the delimiter can collide with a bigram;
        a warning gives how many such tokens were seen.
    scoring : {"default", "word2phrase", "npmi"} or callable
        See the module's table.
    connector_words : set of str
        Words a phrase may span but not start or end with, e.g. :data:`ENGLISH_CONNECTOR_WORDS`.
        Connector words are not counted as unigrams.

    Notes
    -----
    With ``scoring="word2phrase"``, everything the C tool does that shows in its output is
    reproduced: bigrams are also counted across sentence ends (it reads its file as one
    stream; they are never joined across sentences), words are cut to 58 bytes and bigram
    keys to 59 bytes, and a file's last word is dropped when nothing follows it. Phrases of
    59 bytes or more are joined by the model but left out of :meth:`export_phrases` and so
    of a frozen table (their cut keys cannot be split back into words).

    Example
    -------
    >>> corpus = [["the", "bank", "of", "america", "is", "big"]] * 4
    >>> phrases = Phrases(corpus, min_count=1, threshold=1.0,
    ...                   connector_words=ENGLISH_CONNECTOR_WORDS)
    >>> phrases[["the", "bank", "of", "america"]]
    ['the', 'bank_of_america']
    """

    def __init__(self, sentences: Any = None, min_count: int = 5,
                 threshold: float | None = 10.0, max_vocab_size: int = 40_000_000,
                 delimiter: str = "_", scoring: str | Callable[..., float] = "default",
                 connector_words: Iterable[str] = frozenset()) -> None:
        if callable(scoring):
            try:
                names = scoring.__code__.co_varnames[:scoring.__code__.co_argcount]
            except AttributeError:
                names = _SCORER_ARGS
            missing = [name for name in _SCORER_ARGS if name not in names]
            if missing:
                raise InvalidParameterError(
                    f"scoring must take the arguments {_SCORER_ARGS}, missing {missing}")
        else:
            check_choice("scoring", scoring, tuple(_SCORERS))
        if threshold is None:
            threshold = DEFAULT_THRESHOLDS.get(scoring, 10.0) if isinstance(scoring, str) \
                else 10.0
        self.scoring = scoring
        self.threshold = _check_threshold(threshold, scoring)
        # word2phrase.c with -min-count 0 divides by zero after a join and chains joins
        # without limit: refused rather than reproduced
        self.min_count = check_int("min_count", min_count,
                                   minimum=1 if scoring == "word2phrase" else 0)
        self.max_vocab_size = check_int("max_vocab_size", max_vocab_size, minimum=1)
        self.delimiter = _check_delimiter(delimiter)
        if isinstance(connector_words, str):
            raise InvalidParameterError("connector_words must be a collection of words, got "
                                        f"the str {connector_words!r}")
        self.connector_words = frozenset(connector_words)
        self.vocab: dict[str, int] | PhraseScanner = Counter()
        self._memo: dict[tuple[str, ...], str | None] = {}  # candidate -> joined token
        # while no counted token contains the delimiter, the phrases that pass are found
        # once (export_phrases) and joining is a look-up; else each candidate is scored
        self._clean = True
        self._cut = scoring == "word2phrase"  # words and keys cut as word2phrase.c cuts them
        self._table: dict[str, float] | None = None
        self.corpus_word_count = 0
        self.min_reduce = 1
        if sentences is not None:
            self.add_vocab(sentences)

    def __repr__(self) -> str:
        return (f"Phrases({len(self.vocab):,} entries, scoring={self.scoring!r}, "
                f"min_count={self.min_count}, threshold={self.threshold})")

    def add_vocab(self, sentences: Any) -> None:
        """Count the unigrams and bigrams of ``sentences`` (a path or token lists), one pass.

        Example
        -------
        >>> phrases = Phrases(min_count=1)
        >>> phrases.add_vocab([["a", "b", "a", "b"]])
        >>> phrases.vocab["a_b"], phrases.corpus_word_count
        (2, 4)
        """
        # a PathCorpus keeps its own sentence length (as_corpus would re-cut it)
        corpus = sentences if isinstance(sentences, PathCorpus) else as_corpus(sentences)
        self._memo.clear()
        self._table = None
        if self._add_compiled(corpus):
            return
        vocab = self.vocab if isinstance(self.vocab, Counter) else Counter(dict(self.vocab.items()))
        delimiter, connectors = self.delimiter, self.connector_words
        across = self.scoring == "word2phrase"
        limit = self.max_vocab_size
        words = 0
        inside = 0  # tokens that already contain the delimiter
        start: str | None = None
        between: list[str] = []
        last_word = before_last = None  # the stream's last two tokens
        for sentence in corpus:
            if not across:
                start, between = None, []
            if delimiter in " ".join(sentence):  # rare: count exactly
                inside += sum(delimiter in word for word in sentence)
            words += len(sentence)
            if across and sentence and max(map(len, sentence)) > 14:
                sentence = [_c_word(word) for word in sentence]  # as the C tool reads them
                long = True
            else:
                long = False
            if not connectors:  # the common case, counted by Counter's C loop
                if not sentence:
                    continue
                vocab.update(sentence)
                pairs = zip(sentence, sentence[1:], strict=False)
                if long:  # keys cut as the C tool cuts them
                    if start is not None:
                        vocab[_c_key(start + delimiter + sentence[0])] += 1
                    vocab.update(_c_key(a + delimiter + b) for a, b in pairs)
                else:
                    if start is not None:  # across sentences: word2phrase only
                        vocab[_c_key(start + delimiter + sentence[0])] += 1
                    vocab.update(map(delimiter.join, pairs))
                start = sentence[-1]
            else:
                for word in sentence:
                    if word in connectors:
                        if start is not None:
                            between.append(word)
                        continue
                    vocab[word] += 1
                    if start is not None:
                        vocab[delimiter.join([start, *between, word])] += 1
                    start, between = word, []
            if len(sentence) > 1:
                before_last = sentence[-2]
            elif sentence:
                before_last = last_word
            if sentence:
                last_word = sentence[-1]
            while len(vocab) > limit:
                reduce = self.min_reduce
                vocab = Counter({k: c for k, c in vocab.items() if c > reduce})
                self.min_reduce += 1
        if across and not connectors and last_word is not None and _unterminated(corpus):
            # word2phrase.c drops a file's last word when no newline or space follows it
            words -= 1
            dropped = [last_word]
            if before_last is not None:
                dropped.append(_c_key(before_last + delimiter + last_word))
            for key in dropped:
                if vocab.get(key, 0) > 0:  # pruning may have dropped it already
                    vocab[key] -= 1
                    if not vocab[key]:
                        del vocab[key]
        self.vocab = vocab
        self.corpus_word_count += words
        self._clean = self._clean and not inside
        if inside:
            warnings.warn(f"{inside:,} tokens already contain the delimiter {delimiter!r}; "
                          "their counts can mix with those of bigrams", stacklevel=2)

    def _add_compiled(self, corpus: Iterable[list[str]]) -> bool:
        """Count a path corpus with the compiled scanner (:class:`w2v._scan.PhraseScanner`),
        which then holds the counts; False (nothing changed) where it cannot reproduce the
        Python count exactly: connector words, an encoding other than UTF-8, a token too
        long, or no compiled module."""
        if self.connector_words or not isinstance(corpus, PathCorpus) \
                or not corpus.fast_scan_supported():
            return False
        from .._scan import PhraseScanner

        scanner = PhraseScanner(corpus.max_sentence_length,
                                self.delimiter.encode("utf-8", "surrogateescape"),
                                across=self.scoring == "word2phrase", cut=self._cut,
                                max_vocab_size=self.max_vocab_size, min_reduce=self.min_reduce)
        for key, count in self.vocab.items():  # what earlier calls counted, in order
            scanner.add(key, count)
        if not corpus.feed_scanner(scanner):
            return False
        words = scanner.words
        if self.scoring == "word2phrase" and _unterminated(corpus):
            # word2phrase.c drops a file's last word when no newline or space follows it
            last, before = _last_two_tokens(corpus.files()[0])
            if last is not None:
                words -= 1
                scanner.add(_c_word(last), -1)
            if last is not None and before is not None:
                scanner.add(_c_key(_c_word(before) + self.delimiter + _c_word(last)), -1)
        self.vocab = scanner
        self.min_reduce = scanner.min_reduce
        self.corpus_word_count += words
        self._clean = self._clean and not scanner.inside
        if scanner.inside:
            warnings.warn(f"{scanner.inside:,} tokens already contain the delimiter "
                          f"{self.delimiter!r}; their counts can mix with those of bigrams",
                          stacklevel=3)
        return True

    def score(self, worda: str, wordb: str, between: Sequence[str] = ()) -> float | None:
        """The score of the candidate phrase ``worda [between...] wordb``, or None when it
        cannot be one (a count missing or under ``min_count``, as the scorer requires).

        Example
        -------
        >>> phrases = Phrases([["a", "b"]] * 4, min_count=1)
        >>> phrases.score("a", "b")
        0.5625
        >>> phrases.score("b", "a") is None
        True
        """
        vocab = self.vocab
        key = self.delimiter.join([worda, *between, wordb])
        if self.scoring == "word2phrase":  # words and keys cut as the C tool cuts them
            worda, wordb, key = _c_word(worda), _c_word(wordb), _c_key(key)
        count_a = vocab.get(worda, 0)
        count_b = vocab.get(wordb, 0)
        count_ab = vocab.get(key, 0)
        if self.scoring == "word2phrase":
            low = self.min_count
            if count_a < low or count_b < low or count_ab < low:
                return None
            return word2phrase_score(count_a, count_b, count_ab, 0, self.min_count,
                                     self.corpus_word_count)
        if count_a <= 0 or count_b <= 0 or count_ab <= 0:
            return None
        scorer = _SCORERS[self.scoring] if isinstance(self.scoring, str) else self.scoring
        return float(scorer(worda_count=count_a, wordb_count=count_b, bigram_count=count_ab,
                            len_vocab=len(vocab), min_count=self.min_count,
                            corpus_word_count=self.corpus_word_count))

    def _passes(self, score: float | None) -> bool:
        if score is None:
            return False
        if self.scoring == "word2phrase":
            return score > _f32(self.threshold)
        return score > self.threshold

    def _joined(self, a: str, b: str, between: list[str]) -> str | None:
        delimiter = self.delimiter
        key = delimiter.join([a, *between, b]) if between else a + delimiter + b
        if self._clean and delimiter not in a and delimiter not in b and not (
                self._cut and _c_long(key)):
            # every counted key splits one way: look the phrase up
            if self._table is None:
                self._table = self.export_phrases()
            return key if key in self._table else None
        candidate = (a, b, *between) if between else (a, b)
        try:
            return self._memo[candidate]
        except KeyError:
            pass
        joined = key if self._passes(self.score(a, b, between)) else None
        if len(self._memo) >= _MEMO_SIZE:  # bounded: start over
            self._memo.clear()
        self._memo[candidate] = joined
        return joined

    def export_phrases(self) -> dict[str, float]:
        """Every counted bigram (or connector-spanning phrase) that passes, with its score.

        Example
        -------
        >>> Phrases([["a", "b"]] * 4, min_count=1, threshold=0.5).export_phrases()
        {'a_b': 0.5625}
        """
        if self._table is not None:
            return dict(self._table)
        found: dict[str, float] = {}
        delimiter, connectors = self.delimiter, self.connector_words
        # these scorers never pass a bigram under min_count: skip those without splitting
        low = self.min_count if self.scoring in ("word2phrase", "npmi") else 1
        if self.scoring == "default" and self.threshold >= 0:
            low = self.min_count + 1  # a count of min_count or less scores <= 0
        items: Iterable[tuple[str, int]] = self.vocab.items()
        if self._compiled() and not connectors:
            found, unclear = self.vocab.passing(  # type: ignore[union-attr]
                _SCORER_CODES[self.scoring], self.threshold, self.min_count,  # type: ignore[index]
                self.corpus_word_count, low)
            items = ((key, self.vocab[key]) for key in unclear)
        for key, count in items:
            if count < low or delimiter not in key or (self._cut and _c_long(key)):
                continue  # (a key the C tool may have cut cannot be split back)
            parts = key.split(delimiter)
            if len(parts) < 2:
                continue
            splits = []  # (a, b, connector words between)
            if parts[0] not in connectors and parts[-1] not in connectors:
                splits.append((parts[0], parts[-1], parts[1:-1]))
            if not self._clean and len(parts) > 2:
                # tokens hold the delimiter (a later level of a chain): "new_york_times" may
                # be new_york + times or new + york_times; it passes if one of them does
                splits += [(delimiter.join(parts[:i]), delimiter.join(parts[i:]), [])
                           for i in range(1, len(parts))]
            scores = [score for a, b, between in splits
                      if (score := self.score(a, b, between)) is not None
                      and self._passes(score)]
            if scores:
                found[key] = max(scores)
        return found

    def _compiled(self) -> bool:
        """Whether the counts live in the compiled scanner and a built-in scorer is used."""
        from .._scan import PhraseScanner

        return isinstance(self.vocab, PhraseScanner) and isinstance(self.scoring, str)

    def transform_file(self, source: str | os.PathLike, output: str | os.PathLike) -> int:
        """Write ``source`` with phrases joined, line for line, as word2phrase writes it
        (compiled when the counts were; see :meth:`_PhraseModel.transform_file`).

        Example
        -------
        >>> phrases = Phrases("text8", min_count=5, threshold=10.0)
        >>> phrases.transform_file("text8", "phrased.txt") > 0
        True
        """
        if not self._compiled() or self.connector_words:
            return super().transform_file(source, output)
        scanner = self.vocab
        code = _SCORER_CODES[self.scoring]  # type: ignore[index]
        args = (code, self.threshold, self.min_count, self.corpus_word_count)
        scanner.rewrite_start()  # type: ignore[union-attr]
        words = 0
        carry = b""
        with open(source, "rb") as lines, atomic_write(output, "wb") as handle:
            while True:
                block = lines.read(1 << 22)
                if not block:
                    break
                block = carry + block
                end = max(block.rfind(b" "), block.rfind(b"\t"), block.rfind(b"\n")) + 1
                carry = block[end:]  # a token the next block may continue
                text, read = scanner.rewrite(block[:end], *args)  # type: ignore[union-attr]
                handle.write(text)
                words += read
        # a last token with nothing after it is dropped, as by the C tool
        return words

    @classmethod
    def chain(cls, sentences: Any, levels: int = 2,
              threshold: float | Sequence[float] | None = 10.0, **options: Any) -> PhraseChain:
        """Learn ``levels`` phrase models, each on the previous ones' output (trigrams and
        longer), as the C tool's ``demo-phrases.sh`` runs word2phrase twice.

        ``threshold`` is one value, or one per level (the C demo: 200, then 100); the other
        options go to every level. Each level reads the corpus through the previous ones (a
        view, no temporary file), so ``levels`` models take ``levels`` passes.

        Example
        -------
        >>> corpus = [["i", "read", "new", "york", "times"], ["new", "york", "is", "big"],
        ...           ["i", "read", "the", "times"], ["i", "is", "big"]] * 5
        >>> chain = Phrases.chain(corpus, levels=2, min_count=1, threshold=[1.5, 0.5])
        >>> chain[["i", "read", "new", "york", "times"]]
        ['i_read', 'new_york_times']
        """
        levels = check_int("levels", levels, minimum=1)
        if isinstance(threshold, Sequence):
            thresholds = list(threshold)
            if len(thresholds) != levels:
                raise InvalidParameterError(f"threshold must be one number or {levels} "
                                            f"(one per level), got {len(thresholds)}")
        else:
            thresholds = [threshold] * levels  # type: ignore[list-item]
        models: list[Phrases] = []
        for level in range(levels):
            source = PhrasedCorpus(PhraseChain(models), sentences) if models else sentences
            with warnings.catch_warnings():
                if models:  # the joined tokens contain the delimiter, by design
                    warnings.filterwarnings("ignore", ".* tokens already contain the delimiter")
                models.append(cls(source, threshold=thresholds[level], **options))
        return PhraseChain(models)

    def freeze(self) -> FrozenPhrases:
        """A :class:`FrozenPhrases`: only the phrases that pass, cheap to keep and to save.

        Example
        -------
        >>> frozen = Phrases([["a", "b"]] * 4, min_count=1, threshold=0.5).freeze()
        >>> frozen[["a", "b", "c"]]
        ['a_b', 'c']
        """
        scoring = self.scoring if isinstance(self.scoring, str) else "callable"
        return FrozenPhrases(self.export_phrases(), threshold=self.threshold,
                             delimiter=self.delimiter, connector_words=self.connector_words,
                             scoring=scoring, min_count=self.min_count)


class FrozenPhrases(_PhraseModel):
    """A phrase table: the phrases that passed and their scores, nothing else.

    Made by :meth:`Phrases.freeze`; saved as JSON (:meth:`save`, :meth:`load`) and
    exported as ``phrase<TAB>score`` lines (:meth:`save_tsv`). Joins exactly as the
    :class:`Phrases` it came from.

    Example
    -------
    >>> frozen = Phrases([["a", "b"]] * 4, min_count=1, threshold=0.5).freeze()
    >>> frozen.save("phrases.json")
    >>> FrozenPhrases.load("phrases.json").phrases
    {'a_b': 0.5625}
    """

    def __init__(self, phrases: dict[str, float], *, threshold: float, delimiter: str = "_",
                 connector_words: Iterable[str] = frozenset(), scoring: str = "default",
                 min_count: int = 0) -> None:
        self.phrases = dict(phrases)
        self.threshold = float(threshold)
        self.delimiter = _check_delimiter(delimiter)
        self.connector_words = frozenset(connector_words)
        self.scoring = scoring
        self.min_count = min_count
        self._cut = scoring == "word2phrase"

    def __repr__(self) -> str:
        return f"FrozenPhrases({len(self.phrases):,} phrases, scoring={self.scoring!r})"

    def __len__(self) -> int:
        return len(self.phrases)

    def _joined(self, a: str, b: str, between: list[str]) -> str | None:
        key = self.delimiter.join([a, *between, b]) if between else a + self.delimiter + b
        return key if key in self.phrases else None

    def _document(self) -> dict[str, Any]:
        return {
            "format": _FORMAT, "version": _VERSION, "threshold": self.threshold,
            "delimiter": self.delimiter, "connector_words": sorted(self.connector_words),
            "scoring": self.scoring, "min_count": self.min_count, "phrases": self.phrases,
        }

    @classmethod
    def _from_document(cls, document: Any, path: str | os.PathLike) -> FrozenPhrases:
        name = os.fspath(path)
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            raise ValueError(f"{name}: not a w2v phrase table (no 'format': {_FORMAT!r})")
        if document.get("version") != _VERSION:
            raise ValueError(f"{name}: phrase table version {document.get('version')!r}, "
                             f"this w2v reads {_VERSION}")
        phrases = document.get("phrases")
        if not isinstance(phrases, dict) or not all(
                isinstance(k, str) and isinstance(v, (int, float)) for k, v in phrases.items()):
            raise ValueError(f"{name}: 'phrases' must map strings to numbers")
        try:
            return cls({k: float(v) for k, v in phrases.items()},
                       threshold=document["threshold"], delimiter=document["delimiter"],
                       connector_words=document.get("connector_words", ()),
                       scoring=document.get("scoring", "default"),
                       min_count=document.get("min_count", 0))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{name}: bad phrase table field ({error})") from None

    def save(self, path: str | os.PathLike) -> None:
        """Save as JSON (atomic write; no pickle).

        Example
        -------
        >>> FrozenPhrases({"a_b": 2.5}, threshold=1.0).save("table.json")
        >>> FrozenPhrases.load("table.json")
        FrozenPhrases(1 phrases, scoring='default')
        """
        with atomic_write(path, "w") as handle:
            json.dump(self._document(), handle, ensure_ascii=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> FrozenPhrases:
        """Load a table written by :meth:`save`; a clear error for anything else.

        Example
        -------
        >>> FrozenPhrases({"a_b": 2.5}, threshold=1.0).save("table.json")
        >>> FrozenPhrases.load("table.json").phrases["a_b"]
        2.5
        """
        return cls._from_document(_read_json(path, _FORMAT), path)

    def save_tsv(self, path: str | os.PathLike) -> None:
        """Write ``phrase<TAB>score`` lines, best score first (atomic write).

        Example
        -------
        >>> FrozenPhrases({"a_b": 2.5, "c_d": 7.0}, threshold=1.0).save_tsv("table.tsv")
        >>> open("table.tsv").read()
        'c_d\\t7.0\\na_b\\t2.5\\n'
        """
        ordered = sorted(self.phrases.items(), key=lambda item: (-item[1], item[0]))
        with atomic_write(path, "w") as handle:
            handle.writelines(f"{phrase}\t{score!r}\n" for phrase, score in ordered)


class PhraseChain(_PhraseModel):
    """Phrase models applied one after the other (made by :meth:`Phrases.chain`).

    Example
    -------
    >>> first = Phrases([["hot", "dog", "stand"]] * 3, min_count=1, threshold=0.1)
    >>> PhraseChain([first])[["a", "hot", "dog"]]
    ['a', 'hot_dog']
    """

    def __init__(self, models: Sequence[_PhraseModel]) -> None:
        self.models = list(models)
        self._cut = any(model._cut for model in self.models)

    def __repr__(self) -> str:
        return f"PhraseChain({self.models!r})"

    def __getitem__(self, sentence: Sequence[str]) -> list[str]:
        out = list(sentence)
        for model in self.models:
            out = model[out]
        return out

    def freeze(self) -> PhraseChain:
        """The chain with every level frozen (:meth:`Phrases.freeze`): trigrams and longer
        from small tables.

        Example
        -------
        >>> corpus = [["new", "york", "times"], ["new", "york"], ["the", "times"]] * 5
        >>> chain = Phrases.chain(corpus, levels=2, min_count=1, threshold=[0.5, 0.1])
        >>> frozen = chain.freeze()
        >>> frozen[["new", "york", "times"]] == chain[["new", "york", "times"]]
        True
        """
        return PhraseChain([model.freeze() if isinstance(model, (Phrases, PhraseChain))
                            else model for model in self.models])

    def save(self, path: str | os.PathLike) -> None:
        """Save a chain of frozen tables as one JSON file (atomic write; no pickle).

        Example
        -------
        >>> corpus = [["new", "york", "times"], ["new", "york"], ["the", "times"]] * 5
        >>> Phrases.chain(corpus, min_count=1, threshold=0.1).freeze().save("chain.json")
        >>> len(PhraseChain.load("chain.json").models)
        2
        """
        tables = [model for model in self.models if isinstance(model, FrozenPhrases)]
        if len(tables) != len(self.models):
            raise TypeError("only a chain of FrozenPhrases can be saved: call freeze() first")
        document = {"format": _CHAIN_FORMAT, "version": _VERSION,
                    "levels": [table._document() for table in tables]}
        with atomic_write(path, "w") as handle:
            json.dump(document, handle, ensure_ascii=False)

    @classmethod
    def load(cls, path: str | os.PathLike) -> PhraseChain:
        """Load a chain written by :meth:`save`; a clear error for anything else.

        Example
        -------
        >>> corpus = [["new", "york", "times"], ["new", "york"], ["the", "times"]] * 5
        >>> Phrases.chain(corpus, min_count=1, threshold=0.1).freeze().save("chain.json")
        >>> PhraseChain.load("chain.json")[["new", "york", "times"]]
        ['new_york_times']
        """
        document = _read_json(path, _CHAIN_FORMAT)
        levels = document.get("levels")
        if not isinstance(levels, list) or not levels:
            raise ValueError(f"{os.fspath(path)}: 'levels' must be a non-empty list")
        return cls([FrozenPhrases._from_document(level, path) for level in levels])
