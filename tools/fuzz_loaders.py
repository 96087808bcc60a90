"""Coverage-guided fuzzing of w2v's file loaders with atheris (optional: the test suite does
not need it; tests/test_fuzz_loaders.py is the bounded hypothesis version that CI runs).

    pip install atheris
    PYTHONPATH=src python tools/fuzz_loaders.py [CORPUS_DIR] [-max_total_time=600] [-jobs=N]

Each input's first byte picks a loader, the rest is the file: the word2vec text or binary
format (plain, gzip), a native zip (vectors or model), or one member of a native folder.
The only outcomes allowed are a load or ValueError; any other exception, or a load that
allocates more than MEMORY_BOUND (tracemalloc), is reported as a crash with its input.
CORPUS_DIR (default /tmp/w2v-fuzz-corpus) is seeded with valid files of every kind.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import tracemalloc
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["w2v"]):
    import numpy as np

    import w2v.io.archive  # noqa: F401 (imported lazily by w2v: instrumented only if here)
    import w2v.train.model_files  # noqa: F401
    from w2v import KeyedVectors, Word2Vec
    from w2v.io.word2vec_format import load_word2vec_format

MEMORY_BOUND = 48 * 2**20
WORK = Path(tempfile.mkdtemp(prefix="w2v-atheris-"))
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
CORPUS = [["a", "b", "c", "a", "b", "a", "d"]] * 10


def _vectors() -> KeyedVectors:
    rng = np.random.default_rng(0)
    words = ["</s>", "the", "café", "日本"]
    return KeyedVectors(rng.standard_normal((4, 3)).astype(np.float32), words, np.arange(4, 0, -1))


def _model() -> Word2Vec:
    return Word2Vec(CORPUS, vector_size=3, min_count=1, epochs=1, workers=1, hs=1,
                    progress=False).train()


def _folder(kind: str, member: str):
    """A loader of a native folder whose ``member`` is the fuzzed bytes."""
    template = WORK / f"template-{kind}"
    if not template.exists():
        (_vectors() if kind == "kv" else _model()).save(template)

    def load(path: Path):
        folder = path.with_suffix(".d")
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(template, folder)
        shutil.copyfile(path, folder / member)
        return (KeyedVectors.load if kind == "kv" else Word2Vec.load)(folder)

    return load


TARGETS = [  # (file name, loader)
    ("v.txt", lambda p: load_word2vec_format(p)),
    ("v.bin", lambda p: load_word2vec_format(p, binary=True)),
    ("v.txt.gz", lambda p: load_word2vec_format(p)),
    ("v.bin.gz", lambda p: load_word2vec_format(p, binary=True)),
    ("kv.zip", lambda p: KeyedVectors.load(p)),
    ("kv-r.zip", lambda p: KeyedVectors.load(p, mmap="r")),
    ("model.zip", lambda p: Word2Vec.load(p)),
    ("model-meta", _folder("model", "meta.json")),
    ("kv-meta", _folder("kv", "meta.json")),
    ("kv-vectors", _folder("kv", "vectors.npy")),
    ("kv-words", _folder("kv", "words_utf8.npy")),
    ("model-syn1", _folder("model", "syn1.npy")),
]


def seed(corpus: Path) -> None:
    """Valid files of every kind, prefixed with the byte that selects their loader."""
    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    source = WORK / "seed"
    source.mkdir()
    kv, model = _vectors(), _model()
    files = {}
    for name, binary in (("v.txt", False), ("v.bin", True), ("v.txt.gz", False),
                         ("v.bin.gz", True)):
        kv.save_word2vec_format(source / name, binary=binary)
        files[name] = (source / name).read_bytes()
    kv.save(source / "kv.zip")
    model.save(source / "model.zip")
    kv.save(source / "kv")
    model.save(source / "model")
    files["kv.zip"] = files["kv-r.zip"] = (source / "kv.zip").read_bytes()
    files["model.zip"] = (source / "model.zip").read_bytes()
    files["model-meta"] = (source / "model" / "meta.json").read_bytes()
    files["kv-meta"] = (source / "kv" / "meta.json").read_bytes()
    files["kv-vectors"] = (source / "kv" / "vectors.npy").read_bytes()
    files["kv-words"] = (source / "kv" / "words_utf8.npy").read_bytes()
    files["model-syn1"] = (source / "model" / "syn1.npy").read_bytes()
    for index, (name, _) in enumerate(TARGETS):
        (corpus / f"seed-{name}").write_bytes(bytes([index]) + files[name])


def test_one_input(data: bytes) -> None:
    if not data:
        return
    name, load = TARGETS[data[0] % len(TARGETS)]
    path = WORK / name
    path.unlink(missing_ok=True)  # a new inode: an earlier memory map never sees the change
    path.write_bytes(data[1:])
    tracemalloc.start()
    try:
        load(path)
    except ValueError:  # UnicodeDecodeError included
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if peak > MEMORY_BOUND:
        raise AssertionError(f"{name}: a load allocated {peak} bytes")


def main() -> None:
    args = sys.argv[1:]
    dirs = [a for a in args if not a.startswith("-")]
    corpus = Path(dirs[0] if dirs else os.path.join(tempfile.gettempdir(), "w2v-fuzz-corpus"))
    seed(corpus)
    flags = [a for a in args if a.startswith("-")]
    atheris.Setup([sys.argv[0], *flags, str(corpus)], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
