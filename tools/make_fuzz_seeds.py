"""Write the seed files of tools/fuzz_campaign.py into tools/fuzz_seeds/ (committed; run
this again after a file format changes).

    PYTHONPATH=src python tools/make_fuzz_seeds.py [OUT_DIR]

Small valid files of every kind the campaign fuzzes: the C tool's text and binary vectors
(plain and gzip, non-ASCII words), native zips and folders of vectors and of
models (hierarchical softmax and negative sampling), a training checkpoint, and corpora
(blank lines, CRLF, every kind of whitespace, long lines, non-ASCII, a gzip file).
"""

from __future__ import annotations

import gzip
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from w2v import KeyedVectors, Word2Vec

CORPUS = [["the", "king", "rules", "the", "land"], ["a", "queen", "rules", "café", "日本"],
          ["the", "land", "is", "wide"], ["a", "king", "and", "a", "queen"]] * 6


def _vectors() -> KeyedVectors:
    rng = np.random.default_rng(0)
    words = ["</s>", "the", "café", "日本", "x"]
    vectors = rng.standard_normal((5, 4)).astype(np.float32)
    vectors[4] = [0.0, -0.0, 1e-45, 3.4028235e38]
    return KeyedVectors(vectors, words, np.arange(5, 0, -1))


def _model(**params: Any) -> Word2Vec:
    return Word2Vec(CORPUS, vector_size=4, min_count=1, epochs=1, workers=1, seed=1,
                    progress=False, **params).train()


def write(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    for sub in ("c_text", "c_binary", "native_zip", "native_folder", "checkpoint", "corpus"):
        (out / sub).mkdir(parents=True)
    kv = _vectors()
    kv.save_word2vec_format(out / "c_text" / "v.txt")
    kv.save_word2vec_format(out / "c_text" / "v.txt.gz")
    kv.save_word2vec_format(out / "c_binary" / "v.bin", binary=True)
    kv.save_word2vec_format(out / "c_binary" / "v.bin.gz", binary=True)
    hs, ns = _model(hs=1, negative=0), _model(sg=1, negative=2)
    kv.save(out / "native_zip" / "kv.zip")
    hs.save(out / "native_zip" / "model-hs.zip")
    ns.save(out / "native_zip" / "model-ns.zip")
    kv.save(out / "native_folder" / "kv")
    ns.save(out / "native_folder" / "model")
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run.zip"
        Word2Vec(CORPUS, vector_size=4, min_count=1, epochs=2, workers=1, seed=1,
                 progress=False).train(checkpoint=run, checkpoint_every="1 epoch")
        shutil.copyfile(run, out / "checkpoint" / "run.zip")
    corpus = out / "corpus"
    corpus.joinpath("plain.txt").write_text(
        "\n".join(" ".join(s) for s in CORPUS[:4]) + "\n", encoding="utf-8")
    corpus.joinpath("spaces.txt").write_bytes(
        "a\u3000b\u00a0c\u2009d\te\x0bf\x0cg\x1ch\r\n\r\n  i  j \u2028k\n\nl m"
        .encode("utf-8"))
    corpus.joinpath("long.txt").write_bytes(b" ".join([b"w%d" % (i % 7) for i in range(300)])
                                            + b"\n" + b"x" * 1200 + b"\n")
    corpus.joinpath("unicode.txt").write_bytes(
        "caf\u00e9 \u65e5\u672c \U0001f600 e\u0301 \ufeffa \x7f \x01\n".encode("utf-8") * 3)
    corpus.joinpath("corpus.txt.gz").write_bytes(
        gzip.compress(corpus.joinpath("plain.txt").read_bytes(), mtime=0))


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "fuzz_seeds"
    write(target)
    print(f"seeds in {target}:", sorted(str(p.relative_to(target)) for p in target.rglob("*")
                                        if p.is_file()))
