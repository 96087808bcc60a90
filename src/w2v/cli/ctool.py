"""What scripts written for the word2vec C tools need from ``w2v``.

* ``w2v train``'s C-tool options: ``-save-vocab FILE``, ``-read-vocab FILE``, ``-classes K``
  and ``-debug N`` (see :func:`start_model`, :func:`after_vocabulary`, :func:`write_output`).
* ``w2v distance``, ``w2v word-analogy`` and ``w2v compute-accuracy``: the C programs of
  the same names, reading their queries from stdin and printing the same prompts, headers
  and lines (:func:`distance`, :func:`word_analogy`, :func:`compute_accuracy`): on the
  same input, byte for byte what the C programs print when built without fused
  multiply-adds (sums run in float32 in the C programs' order).
* ``w2v phrases -train IN -output OUT -threshold T -min-count N``: word2phrase, byte for
  byte (:class:`w2v.data.phrases.Phrases` with ``scoring="word2phrase"``).

Differences from the C programs: at the end of input ``distance`` and ``word-analogy``
stop (the C programs loop for ever); words are split on any whitespace; words are not cut
to 50 bytes; a word missing from the vectors is reported with position -1 (``distance``)
or 0 (``word-analogy``) like the C programs, but a word at position 0 is a real word (in
the C tool's files it is ``</s>``).

Example
-------
>>> import io
>>> from w2v import load_vectors
>>> out = io.StringIO()
>>> distance(load_vectors("vectors.bin"), io.StringIO("king\\nEXIT\\n"), out)
>>> out.getvalue().splitlines()[3].split()
['Word', 'Cosine', 'distance']
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..data.corpus import PathCorpus
    from ..model import Word2Vec
    from ..vectors.keyedvectors import KeyedVectors

__all__ = ["add_commands", "after_vocabulary", "compute_accuracy", "distance", "progress_setting",
           "start_model", "word_analogy", "write_output"]

#: Lines of answers the C programs print for each query.
SHOWN = 40
_RULE = "-" * 72


# ------------------------------------------------------------------------- training
def progress_setting(no_progress: bool, debug: int | None, classes: int | None
                     ) -> bool | None:
    """Check ``-debug`` and ``-classes``, and say whether to show a progress bar: never
    with ``--no-progress`` or ``-debug 0``; always with ``-debug 2`` or more (the C
    tool's default shows its progress); else only on a terminal (None).

    Example
    -------
    >>> progress_setting(False, 2, None), progress_setting(False, 0, 10)
    (True, False)
    """
    from .._util.validation import check_int

    check_int("classes", classes, minimum=0, allow_none=True)
    check_int("debug", debug, minimum=0, allow_none=True)
    if no_progress or debug == 0:
        return False
    return True if debug is not None and debug >= 2 else None


def start_model(sentences: PathCorpus, options: dict, progress: bool | None,
                read_vocab: str | None) -> Word2Vec:
    """A model with its vocabulary: counted from ``sentences``, or read from a
    ``-read-vocab`` file (``min_count`` applied to its counts; words sorted by count,
    ties in code-point order).

    Example
    -------
    >>> from w2v import PathCorpus
    >>> from w2v.io.ctool_files import write_vocab_file
    >>> write_vocab_file("counts.txt", ["the", "king", "rare"], [9, 5, 1])
    >>> model = start_model(PathCorpus("corpus.txt"), {"min_count": 2}, False, "counts.txt")
    >>> model.wv.index_to_key
    ['the', 'king']
    """
    from ..data.vocab import Vocabulary
    from ..io.ctool_files import read_vocab_file
    from ..model import Word2Vec

    if read_vocab is None:
        return Word2Vec(sentences, progress=progress, **options)
    model = Word2Vec(progress=progress, **options)
    counts = read_vocab_file(read_vocab)
    vocab = Vocabulary(counts, min_count=model.params.min_count)
    if not len(vocab):
        raise ValueError(f"{read_vocab}: no word is counted at least min_count="
                         f"{model.params.min_count} times")
    return model.use_vocabulary(vocab)


def after_vocabulary(model: Word2Vec, save_vocab: str | None, debug: int | None) -> None:
    """Before training, as the C tool: write the ``-save-vocab`` file, and with
    ``-debug 1`` or more print ``Vocab size:`` and ``Words in train file:``.

    Example
    -------
    >>> after_vocabulary(model, "saved_vocab.txt", 1)
    Vocab size: 19
    Words in train file: 1280
    >>> open("saved_vocab.txt").readline()
    'the 320\\n'
    """
    from ..io.ctool_files import write_vocab_file

    vocab = model.vocab
    if vocab is None:
        raise ValueError("the model has no vocabulary")
    if save_vocab is not None:
        write_vocab_file(save_vocab, vocab.index_to_key, vocab.counts)
    if debug is not None and debug > 0:
        print(f"Vocab size: {len(vocab)}")
        print(f"Words in train file: {int(vocab.counts.sum())}")


def write_output(wv: KeyedVectors, path: str, binary: bool, classes: int | None) -> str:
    """Write the vectors, or with ``-classes K`` the k-means classes of the words (in
    the C tool's ``word class`` layout); returns what was written, for the report.

    Example
    -------
    >>> write_output(model.wv, "word_classes.txt", False, 3)
    'word_classes.txt (3 classes)'
    >>> open("word_classes.txt").readline().split()[0]
    'the'
    """
    from ..io.ctool_files import write_classes_file
    from ..vectors.classes import kmeans_classes

    if not classes:  # the C tool's -classes 0: the vectors
        wv.save_word2vec_format(path, binary=binary)
        return f"{path} ({'binary' if binary else 'text'})"
    write_classes_file(path, wv.index_to_key, kmeans_classes(wv.vectors, classes))
    return f"{path} ({classes} classes)"


# ------------------------------------------------------------------ query programs
def _dots(columns: np.ndarray, vec: np.ndarray) -> np.ndarray:
    """``vec`` dotted with every word, summed in float32 one dimension after the other as
    the C programs sum (so the cosines print the same digits). ``columns`` is the
    transposed (dimensions, words) matrix."""
    total = np.zeros(columns.shape[1], dtype=np.float32)
    for value, column in zip(vec.astype(np.float32), columns, strict=True):
        total += value * column
    return total


def _unit_columns(wv: KeyedVectors, limit: int | None = None) -> np.ndarray:
    """The (dimensions, words) float32 matrix of unit vectors, as the C programs scale
    them (a zero vector gives NaN, which never ranks)."""
    columns = np.array(np.asarray(wv.vectors[:limit], dtype=np.float32).T, order="C")
    lengths = np.sqrt(_dots(columns * columns, np.ones(len(columns))).astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        columns /= lengths.astype(np.float32)
    return columns


def _unit(vec: np.ndarray) -> np.ndarray:
    length = np.sqrt(np.float64(_dots(vec[:, None] * vec[:, None], np.ones(len(vec)))[0]))
    with np.errstate(invalid="ignore", divide="ignore"):
        return vec / np.float32(length)


def _best(scores: np.ndarray, floor: float) -> list[int]:
    """The C programs' top list: rows scoring above ``floor``, best first, the earlier
    row first on a tie (NaN rows never)."""
    order = np.argsort(-scores, kind="stable")
    return [int(i) for i in order[:SHOWN] if scores[i] > floor]


def _print_best(out: IO[str], words: list[str], scores: np.ndarray, floor: float) -> None:
    best = _best(scores, floor)
    lines = [f"{words[i]:>50}\t\t{float(scores[i]):f}" for i in best]
    lines += [f"{'':>50}\t\t{floor:f}"] * (SHOWN - len(best))
    out.write("\n".join(lines) + "\n")


def _queries(stdin: IO[str], out: IO[str], prompt: str) -> Iterator[list[str]]:
    while True:
        out.write(prompt)
        out.flush()
        line = stdin.readline()
        if not line:
            return
        words = line.split()
        if words == ["EXIT"]:
            return
        if words:
            yield words


def distance(wv: KeyedVectors, stdin: IO[str], out: IO[str]) -> None:
    """The C tool's ``distance``: for each line of words, the 40 words nearest to the sum
    of their unit vectors, by cosine (the query's words left out).

    Example
    -------
    >>> import io
    >>> out = io.StringIO()
    >>> distance(model.wv, io.StringIO("king queen\\nEXIT\\n"), out)
    >>> lines = out.getvalue().splitlines()
    >>> lines[1].split()[:2], lines[3].split()[:2]
    (['Word:', 'king'], ['Word:', 'queen'])
    >>> len(lines), len(lines[7].split())  # prompt, 2 words, header, 40 answers, prompt
    (48, 2)
    """
    columns = _unit_columns(wv)
    words = list(wv.index_to_key)
    for query in _queries(stdin, out, "Enter word or sentence (EXIT to break): "):
        rows = _positions(query, wv, out, missing=-1)
        if rows is None:
            continue
        out.write(f"\n{'Word':>50}       Cosine distance\n{_RULE}\n")
        vec = np.zeros(len(columns), dtype=np.float32)
        for row in rows:
            vec += columns[:, row]
        scores = _dots(columns, _unit(vec))
        scores[rows] = np.nan
        _print_best(out, words, scores, -1.0)


def word_analogy(wv: KeyedVectors, stdin: IO[str], out: IO[str]) -> None:
    """The C tool's ``word-analogy``: for each line ``A B C``, the 40 words nearest to
    ``B - A + C`` (unit vectors; the three words left out; only positive cosines).

    Example
    -------
    >>> import io
    >>> out = io.StringIO()
    >>> word_analogy(model.wv, io.StringIO("man king woman\\nEXIT\\n"), out)
    >>> out.getvalue().splitlines()[0]
    'Enter three words (EXIT to break): '
    """
    columns = _unit_columns(wv)
    words = list(wv.index_to_key)
    for query in _queries(stdin, out, "Enter three words (EXIT to break): "):
        if len(query) < 3:
            out.write(f"Only {len(query)} words were entered.. three words are needed at the "
                      "input to perform the calculation\n")
            continue
        rows = _positions(query, wv, out, missing=0)
        if rows is None:
            continue
        out.write(f"\n{'Word':>50}              Distance\n{_RULE}\n")
        vec = columns[:, rows[1]] - columns[:, rows[0]] + columns[:, rows[2]]
        scores = _dots(columns, _unit(vec))
        scores[rows] = np.nan
        _print_best(out, words, scores, 0.0)


def _positions(query: list[str], wv: KeyedVectors, out: IO[str], missing: int
               ) -> list[int] | None:
    rows = []
    for word in query:
        row = wv.key_to_index.get(word)
        out.write(f"\nWord: {word}  Position in vocabulary: {missing if row is None else row}\n")
        if row is None:
            out.write("Out of dictionary word!\n")
            return None
        rows.append(row)
    return rows


def _c_best(unit: np.ndarray, vec: np.ndarray, skip: tuple[int, ...]) -> int | None:
    """The row the C program's loop keeps: the first row with the greatest float32 score
    summed in its order, if that score is positive (``None`` otherwise).

    BLAS ranks all rows, but its sums run in another order (and may fuse multiply-adds),
    so rows within its rounding error of the best are scored again as the C program sums
    them: a near tie is settled the C program's way, not BLAS's.
    """
    scores = unit @ vec
    scores[list(skip)] = -np.inf
    scores[np.isnan(scores)] = -np.inf
    top = float(scores.max()) if len(scores) else -np.inf
    # both orders of summation are within size * eps * |vec| * |row| of the exact value
    # (rows are unit vectors up to rounding); twice that, with room, bounds their gap
    slack = 4 * len(vec) * float(np.finfo(np.float32).eps) * float(np.abs(vec).sum() + 1)
    near = np.flatnonzero(scores >= max(top, 0.0) - slack)
    if len(near) == 0:
        return None
    exact = _dots(np.ascontiguousarray(unit[near].T), vec)
    exact[np.isnan(exact)] = -np.inf
    pick = int(np.argmax(exact))  # the first of equal bests, as the C program keeps
    return int(near[pick]) if exact[pick] > 0 else None


def _percent(part: int, whole: int) -> str:
    """``part / (float)whole * 100`` printed with ``%.2f`` as C does (float32, ``-nan``)."""
    if whole == 0:
        return "-nan" if part == 0 else "inf"
    return f"{float(np.float32(part) / np.float32(whole) * np.float32(100)):.2f}"


def _tokens(lines: Iterable[str]) -> Iterator[str]:
    for line in lines:
        yield from line.split()


def compute_accuracy(wv: KeyedVectors, stdin: IO[str], out: IO[str],
                     threshold: int = 0) -> None:
    """The C tool's ``compute-accuracy``: answer the analogy questions read from stdin
    (``questions-words.txt``) and print its accuracy lines.

    As the C program: only the first ``threshold`` words are used (0: all); words are
    compared in upper case; a question counts only when its four words are known; the
    answer is the best positive cosine to ``B - A + C`` among the other words; the first
    five sections are semantic and the rest syntactic. For each section it prints its name
    and then ``ACCURACY TOP1: ...`` and the running ``Total accuracy: ...`` line; at the
    end ``Questions seen / total: ...``.

    Example
    -------
    >>> import io
    >>> out = io.StringIO()
    >>> with open("questions-words.txt") as questions:
    ...     compute_accuracy(model.wv, questions, out)
    >>> out.getvalue().splitlines()[-1].startswith("Questions seen / total:")
    True
    """
    unit = _unit_columns(wv, threshold or None).T  # by rows
    upper = [word.upper() for word in wv.index_to_key[: len(unit)]]
    index: dict[str, int] = {}
    for row, word in enumerate(upper):
        index.setdefault(word, row)
    correct = seen_here = total_correct = total_seen = 0
    semantic = semantic_correct = syntactic = syntactic_correct = 0
    section = questions = answered = 0
    tokens = _tokens(stdin)
    while True:
        first = next(tokens, None)
        if first is None or first.upper() in (":", "EXIT"):
            if section:
                out.write(f"ACCURACY TOP1: {_percent(correct, seen_here or 1)} %  "
                          f"({correct} / {seen_here or 1})\n")
                out.write(f"Total accuracy: {_percent(total_correct, total_seen)} %   "
                          f"Semantic accuracy: {_percent(semantic_correct, semantic)} %   "
                          f"Syntactic accuracy: {_percent(syntactic_correct, syntactic)} % \n")
            section += 1
            name = next(tokens, None)
            if name is None:
                break
            out.write(f"{name}:\n")
            correct = seen_here = 0
            continue
        rest = [next(tokens, None) for _ in range(3)]
        if rest[-1] is None:  # a question cut short by the end of input
            tokens = iter(())
            continue
        words = [first.upper(), *(word.upper() for word in rest if word is not None)]
        questions += 1
        rows = [index.get(word) for word in words]
        if any(row is None for row in rows):
            continue
        answered += 1
        a, b, c = (int(row) for row in rows[:3] if row is not None)
        best = _c_best(unit, (unit[b] - unit[a]) + unit[c], (a, b, c))
        is_semantic = section <= 5
        if best is not None and upper[best] == words[3]:
            correct += 1
            total_correct += 1
            semantic_correct += is_semantic
            syntactic_correct += not is_semantic
        semantic += is_semantic
        syntactic += not is_semantic
        seen_here += 1
        total_seen += 1
    out.write(f"Questions seen / total: {answered} {questions}   "
              f"{_percent(answered, questions)} % \n")


# ------------------------------------------------------------------------ commands
def _cmd_query(program: Callable[[KeyedVectors, IO[str], IO[str]], None]
               ) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import sys

        from ..loading import load_vectors

        program(load_vectors(args.vectors), sys.stdin, sys.stdout)
        return 0

    return run


def _cmd_compute_accuracy(args: argparse.Namespace) -> int:
    import sys

    from ..loading import load_vectors

    if args.threshold < 0:
        raise ValueError(f"threshold must be >= 0, got {args.threshold}")
    compute_accuracy(load_vectors(args.vectors), sys.stdin, sys.stdout, args.threshold)
    return 0


def _cmd_phrases(args: argparse.Namespace) -> int:
    import sys

    from ..data.phrases import Phrases

    if args.debug > 0:
        print(f"Starting training using file {args.train}", flush=True)
    phrases = Phrases(args.train, min_count=args.min_count, threshold=args.threshold,
                      scoring="word2phrase")
    words = phrases.transform_file(args.train, args.output)
    if args.debug > 0:
        print(f"Words in train file: {phrases.corpus_word_count}", file=sys.stdout)
        print(f"Words written: {words}", file=sys.stdout)
    return 0


def add_commands(command: Callable[[str, Callable, str], argparse.ArgumentParser]) -> None:
    """Add ``distance``, ``word-analogy``, ``compute-accuracy`` and ``phrases`` with
    ``command(name, run, help)``, the ``w2v`` parser's way of adding a subcommand.

    Example
    -------
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> add_commands(lambda name, run, text: sub.add_parser(name))
    >>> sorted(sub.choices)
    ['compute-accuracy', 'distance', 'phrases', 'word-analogy']
    """
    source = "vectors (C binary or text format, or native)"
    for name, program, text in (
            ("distance", distance, "the C tool's distance: nearest words of the words read "
                                   "from stdin, until EXIT"),
            ("word-analogy", word_analogy, "the C tool's word-analogy: A B C read from stdin, "
                                           "until EXIT")):
        cmd = command(name, _cmd_query(program), text)
        cmd.add_argument("vectors", help=source)
    accuracy = command("compute-accuracy", _cmd_compute_accuracy,
                       "the C tool's compute-accuracy: analogy questions read from stdin")
    accuracy.add_argument("vectors", help=source)
    accuracy.add_argument("threshold", type=int, nargs="?", default=0,
                          help="use only the most frequent THRESHOLD words (0: all)")
    phrases = command("phrases", _cmd_phrases,
                      "the C tool's word2phrase: join phrases (new york -> new_york) in a "
                      "text file, byte for byte as word2phrase writes it")
    phrases.add_argument("-train", required=True, metavar="FILE", help="the text to read")
    phrases.add_argument("-output", required=True, metavar="FILE", help="the text to write")
    phrases.add_argument("-min-count", dest="min_count", type=int, default=5,
                         help="ignore words and bigrams seen fewer times (5)")
    phrases.add_argument("-threshold", type=float, default=100.0,
                         help="join bigrams scoring above this; higher, fewer phrases (100)")
    phrases.add_argument("-debug", type=int, default=2,
                         help="0: print nothing; more: a summary")
