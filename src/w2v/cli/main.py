"""The ``w2v`` command line: train, query, evaluate and plot word vectors.

Subcommands: ``train``, ``similar``, ``analogy``, ``predict``, ``evaluate``, ``plot``,
``export`` and ``demo``, and the C tools' ``distance``, ``word-analogy``,
``compute-accuracy`` and ``phrases`` (word2phrase; in :mod:`w2v.cli.ctool`). The original
C tool's spellings (``w2v -train data.txt -output vec.bin -size 200 ...``) are translated
to ``w2v train`` options before parsing.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .._util.memory import InsufficientMemoryError
from .._version import __version__
from ..io.exports import EXPORT_FORMATS
from ..loading import is_native, load_vectors, plain_name

if TYPE_CHECKING:
    import numpy as np

    from ..model import Word2Vec

__all__ = ["CliError", "build_parser", "main", "translate_c_options"]

#: The C tool's options with a value, and the ``w2v train`` option each becomes.
C_OPTIONS = {
    "-output": "-o", "-size": "--vector-size", "-window": "--window", "-sample": "--sample",
    "-hs": "--hs", "-negative": "--negative", "-alpha": "--alpha", "-min-count": "--min-count",
    "-threads": "--workers", "-iter": "--epochs", "-save-vocab": "--save-vocab",
    "-read-vocab": "--read-vocab", "-classes": "--classes", "-debug": "--debug",
}
#: The C tool's options that ``w2v train`` does not offer.
UNSUPPORTED_C_OPTIONS: tuple[str, ...] = ()
_C_SPECIAL = ("-train", "-binary", "-cbow")
#: ``train`` options passed on to :class:`w2v.Word2Vec` when given: (flag, type, help).
_TRAIN_OPTIONS: list[tuple[str, Callable[[str], object], str]] = [
    ("--vector-size", int, "dimensions of the vectors (C: -size)"),
    ("--window", int, "largest distance between a word and its context (C: -window)"),
    ("--min-count", int, "ignore words seen fewer times (C: -min-count)"),
    ("--sg", int, "1 for skip-gram, 0 for CBOW (C: -cbow 0/1)"),
    ("--hs", int, "1 for hierarchical softmax (C: -hs)"),
    ("--negative", int, "negative samples per example, 0 for none (C: -negative)"),
    ("--sample", float, "threshold for downsampling frequent words (C: -sample)"),
    ("--alpha", float, "initial learning rate (C: -alpha)"),
    ("--epochs", int, "passes over the corpus (C: -iter)"),
    ("--workers", int, "training threads (C: -threads)"),
    ("--seed", int, "random seed"),
]


class CliError(Exception):
    """A mistake on the command line: reported as one ``w2v: error:`` line, exit status 2."""


def translate_c_options(argv: Sequence[str]) -> list[str]:
    """Rewrite the word2vec C tool's single-dash options as ``w2v train`` arguments.

    Arguments of other subcommands are returned unchanged. A command line that starts with a
    C option (after ``--verbose``) gets the ``train`` subcommand inserted. A command line
    that names its corpus the C way (``-train FILE``) gets the C tool's defaults where they
    differ from ``w2v train``'s: text vectors unless ``-binary 1``, whatever the output's
    name, so that existing scripts and what reads their output work unchanged.

    Parameters
    ----------
    argv : the command line without the program name.

    Returns
    -------
    The translated command line; :class:`CliError` names an unsupported or malformed option.

    Example
    -------
    >>> translate_c_options(["-train", "a.txt", "-output", "v.bin", "-cbow", "0", "-iter", "3"])
    ['train', 'a.txt', '-o', 'v.bin', '--sg', '1', '--epochs', '3', '--text']
    """
    argv = list(argv)
    start = 0
    while start < len(argv) and argv[start] == "--verbose":
        start += 1
    if start == len(argv):
        return argv
    known = (*C_OPTIONS, *_C_SPECIAL, *UNSUPPORTED_C_OPTIONS)
    if argv[start] == "train":
        head, rest = argv[: start + 1], argv[start + 1 :]
    elif argv[start] in known:
        head, rest = [*argv[:start], "train"], argv[start:]
    else:
        return argv
    out: list[str] = []
    tail: list[str] = []
    c_corpus = c_binary = False
    i = 0
    while i < len(rest):
        token = rest[i]
        if token == "--":
            tail = rest[i:]
            break
        if token in UNSUPPORTED_C_OPTIONS:
            raise CliError(f"the C tool's option {token} is not supported by w2v train")
        if token not in C_OPTIONS and token not in _C_SPECIAL:
            out.append(token)
            i += 1
            continue
        if i + 1 >= len(rest):
            raise CliError(f"option {token} needs a value")
        value = rest[i + 1]
        i += 2
        if token == "-train":
            c_corpus = True
            out.append(value)
        elif token in ("-binary", "-cbow"):
            if value not in ("0", "1"):
                raise CliError(f"option {token} takes 0 or 1, got {value!r}")
            if token == "-binary":
                c_binary = True
                out.append("--binary" if value == "1" else "--text")
            else:
                out += ["--sg", "0" if value == "1" else "1"]
        else:
            out += [C_OPTIONS[token], value]
    if c_corpus and not c_binary and "--binary" not in out and "--text" not in out:
        out.append("--text")  # the C tool's default, whatever the output is called
    return head + out + tail


def _require(path: str | os.PathLike, what: str) -> Path:
    if not Path(path).exists():
        raise FileNotFoundError(errno.ENOENT, f"no such {what}", os.fspath(path))
    return Path(path)


def _corpus_path(name: str) -> Path:
    """The corpus argument as a path: ``-`` is standard input (read once, like any pipe)."""
    if name == "-":
        if not os.path.exists("/dev/stdin"):
            raise CliError("reading the corpus from standard input ('-') needs /dev/stdin, "
                           "which this system lacks: save the text to a file and train on it")
        return Path("/dev/stdin")
    return _require(name, "corpus file")


def _load_model(path: str | os.PathLike) -> Word2Vec:
    """A full model (with its output layer) in w2v's native format, for ``predict``."""
    from ..io.archive import archive_kind
    from ..model import Word2Vec
    from ..train.model_files import MODEL_KIND

    found = _require(path, "model file")
    hint = "; save one with `w2v train CORPUS -o VECTORS --model-out MODEL.zip`"
    if not is_native(found):
        raise CliError(f"{path} is a word-vectors file in the C format, not a w2v model{hint}")
    kind = archive_kind(found)
    if kind != MODEL_KIND:
        raise CliError(f"{path} holds only word vectors ({kind!r}), not a full model{hint}")
    model = Word2Vec.load(found)
    if model.syn1 is None and model.syn1neg is None:
        raise CliError(f"{path} has no output layer to predict with")
    return model


# ------------------------------------------------------------------------- commands
def _cmd_train(args: argparse.Namespace) -> int:
    from ..data.corpus import PathCorpus
    from ..model import prepare_resume
    from .ctool import after_vocabulary, progress_setting, start_model, write_output

    corpus = _corpus_path(args.corpus)
    options = {dest: getattr(args, dest) for dest in _train_dests()
               if getattr(args, dest) is not None}
    progress = progress_setting(args.no_progress, args.debug, args.classes)
    if args.output is None and (args.save_vocab is None or args.resume):
        raise CliError("train needs -o/--output, or --save-vocab alone to count the words "
                       "(see `w2v train --help`)")
    if args.checkpoint_every is not None and args.checkpoint is None:
        raise CliError("--checkpoint-every needs --checkpoint PATH")
    if args.resume and args.checkpoint is None:
        raise CliError("--resume needs --checkpoint PATH (the checkpoint to resume)")
    binary = args.binary if args.binary is not None else (
        args.output is not None and plain_name(args.output).endswith(".bin"))
    started = time.perf_counter()
    sentences = PathCorpus(corpus, encoding=args.encoding, encoding_errors=args.encoding_errors,
                           pipe_timeout=args.pipe_timeout)
    model: Word2Vec | None = None
    try:
        if args.resume:
            fixed = sorted(set(options) - {"workers"}) + [
                name for name in ("read_vocab", "save_vocab") if getattr(args, name)]
            if fixed:
                raise CliError(f"--resume continues the run with its own settings; leave out "
                               f"{', '.join('--' + name.replace('_', '-') for name in fixed)}")
            if args.checkpoint_every is not None:
                raise CliError("--resume keeps the run's checkpoint schedule; leave out "
                               "--checkpoint-every")
            _require(args.checkpoint, "checkpoint")
            run = prepare_resume(args.checkpoint, sentences, workers=options.get("workers"))
            model = run.model
            run.run(progress=progress)
        else:
            if args.no_memory_check:
                options["memory_check"] = False
            model = start_model(sentences, options, progress, args.read_vocab)
            after_vocabulary(model, args.save_vocab, args.debug)
            if args.output is None:  # the C tool: -save-vocab alone only counts the words
                print(f"w2v: {len(model.wv)} words -> {args.save_vocab}")
                return 0
            model.train(sentences, checkpoint=args.checkpoint,
                        checkpoint_every=args.checkpoint_every)
    except KeyboardInterrupt:
        if args.model_out and model is not None:  # what was trained is consistent: keep it
            model.save(args.model_out)
            print(f"w2v: interrupted; the partly trained model is saved in {args.model_out} "
                  f"({model.epochs_trained} epochs, the last one partly; no vectors file "
                  "written); Word2Vec.load() it to use it or train it further",
                  file=sys.stderr)
        if args.checkpoint and os.path.lexists(args.checkpoint):
            print(f"w2v: the run can go on from its last checkpoint: add --resume to the "
                  f"same command (checkpoint {args.checkpoint})", file=sys.stderr)
        raise
    finally:
        sentences.close()  # the copy of a corpus pipe (nothing for a regular file)
    outputs = write_output(model.wv, args.output, binary, args.classes)
    if args.model_out:
        model.save(args.model_out)
        outputs += f", model {args.model_out}"
    elapsed = time.perf_counter() - started
    print(f"w2v: {len(model.wv)} words, {model.wv.vector_size} dimensions, {elapsed:.1f}s -> "
          f"{outputs}")
    return 0


def _print_scores(pairs: Sequence[tuple[str, float]] | np.ndarray) -> int:
    # the commands always pass an int topn, so the answer is (word, score) pairs
    for word, score in pairs:
        print(f"{word}\t{score:.4f}")
    return 0


def _cmd_similar(args: argparse.Namespace) -> int:
    return _print_scores(load_vectors(args.vectors).most_similar(args.word, topn=args.topn))


def _cmd_analogy(args: argparse.Namespace) -> int:
    wv = load_vectors(args.vectors)
    return _print_scores(wv.most_similar(positive=[args.b, args.c], negative=[args.a],
                                         topn=args.topn))


def _cmd_predict(args: argparse.Namespace) -> int:
    model = _load_model(args.model)
    if len(args.words) == 1:
        return _print_scores(model.predict_next(args.words[0], topn=args.topn))
    return _print_scores(model.predict_output_word(args.words, topn=args.topn))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    if not args.analogies and not args.pairs:
        raise CliError("evaluate needs --analogies FILE and/or --pairs FILE")
    wv = load_vectors(args.vectors)
    if args.analogies:
        score, sections = wv.evaluate_word_analogies(args.analogies)
        total = sections[-1]
        right, wrong = len(total["correct"]), len(total["incorrect"])
        print(f"analogies: accuracy {score:.4f} ({right}/{right + wrong} correct, "
              f"{total.get('oov', 0)} skipped)")
    if args.pairs:
        result = wv.evaluate_word_pairs(args.pairs)
        print(f"pairs: spearman {result['spearman']:.4f}, pearson {result['pearson']:.4f}, "
              f"{result['oov_ratio']:.1%} out of vocabulary")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from ..vectors.plot import plot_words  # optional: needs matplotlib

    wv = load_vectors(args.vectors)
    plot_words(wv, args.words, method=args.method, path=args.output)
    print(f"w2v: wrote {args.output}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from ..io.exports import write_spacy, write_tensorboard

    wv = load_vectors(args.vectors)
    if args.to == "tensorboard":
        out = write_tensorboard(args.output, wv.vectors, wv.index_to_key, wv.counts)
        print(f"w2v: wrote vectors.tsv, metadata.tsv and projector_config.json ({len(wv)} "
              f"words) in {out}; view them with `tensorboard --logdir {out}`")
    else:
        path = write_spacy(args.output, wv.vectors, wv.index_to_key, compress=args.gzip)
        print(f"w2v: wrote {path}; make a spaCy pipeline of it with "
              f"`python -m spacy init vectors en {path} PIPELINE_FOLDER`")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    # --no-picture: picture=None; -o PATH: picture=PATH; neither: the demo's own default
    run_demo(**({"picture": args.output} if args.output or args.no_picture else {}))
    return 0


# --------------------------------------------------------------------------- parser
def _train_dests() -> list[str]:
    return [flag[2:].replace("-", "_") for flag, _, _ in _TRAIN_OPTIONS]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one ``w2v: error:`` line (not a usage block)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """The ``w2v`` argument parser, with one sub-parser per command.

    Example
    -------
    >>> build_parser().parse_args(["similar", "v.bin", "king"]).topn
    10
    """
    parser = _Parser(
        prog="w2v", description="Train and query word2vec word vectors.",
        epilog="The C tool's options also work: w2v -train data.txt -output vec.bin -size 200")
    parser.add_argument("--version", action="version", version=f"w2v {__version__}")
    parser.add_argument("--verbose", action="store_true", help="debug logging and tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, run: Callable, text: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=text, description=text)
        cmd.add_argument("--verbose", action="store_true", default=argparse.SUPPRESS,
                         help="debug logging and tracebacks")
        cmd.set_defaults(run=run)
        return cmd

    train = command("train", _cmd_train, "train word vectors on a text corpus")
    train.add_argument("corpus", help="text file (or folder, .gz/.bz2/.xz), one sentence a "
                                      "line; a pipe is read once; - for standard input")
    train.add_argument("-o", "--output",
                       help="vectors in the C format (binary if it ends with .bin)")
    for flag, kind, text in _TRAIN_OPTIONS:
        train.add_argument(flag, type=kind, help=text)
    form = train.add_mutually_exclusive_group()
    form.add_argument("--binary", action="store_const", const=True, help="binary vectors")
    form.add_argument("--text", dest="binary", action="store_const", const=False,
                      help="text vectors")
    train.add_argument("--encoding", default="utf-8", help="the corpus's encoding (utf-8)")
    train.add_argument("--encoding-errors", default="strict",
                       help="undecodable bytes and NULs: strict (an error naming the line), "
                            "replace or ignore")
    train.add_argument("--pipe-timeout", type=float, metavar="SECONDS",
                       help="give up on a corpus pipe that sends nothing for this long "
                            "(default: wait, saying so every few seconds)")
    train.add_argument("--model-out", help="also save the full model (folder or .zip)")
    train.add_argument("--checkpoint", metavar="PATH",
                       help="save the model and the run's position here while training "
                            "(folder or .zip, replaced atomically)")
    train.add_argument("--checkpoint-every", metavar="WHEN",
                       help="how often: 600, 10min, 2h, '1 epoch' (default: every epoch)")
    train.add_argument("--resume", action="store_true",
                       help="finish the run saved in --checkpoint (after a crash or Ctrl-C)")
    train.add_argument("--no-progress", action="store_true", help="no progress bar")
    train.add_argument("--no-memory-check", action="store_true",
                       help="train even when the model seems not to fit in memory")
    train.add_argument("--save-vocab", metavar="FILE", help="write 'word count' lines (C)")
    train.add_argument("--read-vocab", metavar="FILE",
                       help="take the vocabulary from a --save-vocab file (C)")
    train.add_argument("--classes", type=int, metavar="K",
                       help="write K k-means word classes instead of vectors (C)")
    train.add_argument("--debug", type=int, metavar="N",
                       help="C: 0 no progress bar, 1 vocabulary summary, 2 and progress bar")

    similar = command("similar", _cmd_similar, "the nearest neighbours of a word")
    similar.add_argument("vectors", help="vectors (C format) or native model/vectors")
    similar.add_argument("word")
    similar.add_argument("--topn", type=int, default=10)

    analogy = command("analogy", _cmd_analogy, "A is to B as C is to ?")
    analogy.add_argument("vectors")
    for name in ("a", "b", "c"):
        analogy.add_argument(name, metavar=name.upper())
    analogy.add_argument("--topn", type=int, default=5)

    predict = command("predict", _cmd_predict, "the words a native model predicts around WORDs")
    predict.add_argument("model", help="a full model saved with train --model-out")
    predict.add_argument("words", nargs="+", metavar="WORD")
    predict.add_argument("--topn", type=int, default=5)

    evaluate = command("evaluate", _cmd_evaluate, "analogy accuracy and word-pair correlation")
    evaluate.add_argument("vectors")
    evaluate.add_argument("--analogies", help="questions-words file")
    evaluate.add_argument("--pairs", help="word<TAB>word<TAB>score file")

    plot = command("plot", _cmd_plot, "draw words in 2-D (needs matplotlib)")
    plot.add_argument("vectors")
    plot.add_argument("words", nargs="+", metavar="WORD")
    plot.add_argument("-o", "--output", required=True, help="picture file, e.g. words.png")
    plot.add_argument("--method", choices=("pca", "tsne"), default="pca")

    export = command("export", _cmd_export, "write vectors for TensorBoard's projector or spaCy")
    export.add_argument("vectors")
    export.add_argument("output", metavar="OUT", help="folder to write into (made if missing)")
    export.add_argument("--to", required=True, choices=EXPORT_FORMATS)
    export.add_argument("--gzip", action="store_true", help="spacy: write vectors.txt.gz")

    from .ctool import add_commands

    add_commands(command)
    demo = command("demo", _cmd_demo, "train on a built-in corpus and show what it learnt")
    picture = demo.add_mutually_exclusive_group()
    picture.add_argument("-o", "--output", help="where to draw the picture")
    picture.add_argument("--no-picture", action="store_true", help="draw no picture")
    return parser


def _message(error: BaseException) -> str:
    if isinstance(error, OSError) and error.filename is not None:
        return f"{error.strerror or error}: {error.filename}"
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _configure_logging(verbose: bool) -> Callable[[], None]:
    """Show the ``w2v`` logger's messages on stderr; returns a function that undoes it."""
    logger = logging.getLogger("w2v")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("w2v: %(message)s"))
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)

    def undo() -> None:
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    return undo


def main(argv: list[str] | None = None) -> int:
    """Run the ``w2v`` command line and return its exit status.

    Parameters
    ----------
    argv : the arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    0 on success, 2 for a usage mistake (one ``w2v: error:`` line on stderr, or the
    traceback too with ``--verbose``), 130 when interrupted.

    Example
    -------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:  # "word<TAB>cosine" lines
    ...     status = main(["similar", "vectors.bin", "king", "--topn", "3"])
    >>> status, len(out.getvalue().splitlines())
    (0, 3)
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    verbose = "--verbose" in argv[: argv.index("--") if "--" in argv else len(argv)]
    parser = build_parser()
    undo_logging: Callable[[], None] | None = None
    try:
        try:
            args, extra = parser.parse_known_args(translate_c_options(argv))
        except SystemExit as stop:  # --help and --version (mistakes raise CliError)
            return stop.code if isinstance(stop.code, int) else 2
        if extra:
            raise CliError(f"unexpected arguments: {' '.join(extra)}")
        if args.command is None:
            parser.print_usage(sys.stderr)
            print("w2v: no command given; try `w2v demo` for a quick tour, or `w2v --help`",
                  file=sys.stderr)
            return 2
        if args.command == "train":
            undo_logging = _configure_logging(verbose)
        return args.run(args)
    except KeyboardInterrupt:
        print("w2v: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `w2v similar ... | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (CliError, KeyError, LookupError, ValueError, ImportError, OSError,
            InsufficientMemoryError) as error:
        if verbose:
            traceback.print_exc()
        print(f"w2v: error: {_message(error)}", file=sys.stderr)
        return 2
    finally:
        if undo_logging is not None:
            undo_logging()
