"""The accuracy benchmark's own machinery: system specs, the re-cut corpus, the statistics."""

import math
import random
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
if not (BENCH / "bench_accuracy.py").exists():  # the suite copied out of the tree (wheels)
    pytest.skip("benchmarks/ is not beside the tests", allow_module_level=True)
sys.path.insert(0, str(BENCH))
import bench_accuracy as bench  # noqa: E402


def test_system_specs_keep_their_options_together():
    systems = bench.split_systems("w2v,w2v[batch=0;hot_rows=0],gensim,w2v[sync=4096, alpha=0.05]")
    assert systems == ["w2v", "w2v[batch=0;hot_rows=0]", "gensim", "w2v[sync=4096, alpha=0.05]"]
    assert bench.options_of(systems[1]) == {"batch": 0, "hot_rows": 0}
    assert bench.options_of(systems[3]) == {"sync": 4096, "alpha": 0.05}
    assert bench.options_of("w2v[src=/tmp/old]") == {"src": "/tmp/old"}
    with pytest.raises(SystemExit, match="unknown system"):
        bench.split_systems("w2v,glove")


def test_recut_copy_keeps_every_token_in_lines_of_100_to_300(tmp_path):
    rng = random.Random(3)
    words = [f"w{rng.randrange(50)}" for _ in range(20_000)]
    source = tmp_path / "one_line.txt"
    source.write_text(" ".join(words[:7_000]) + "\n" + " ".join(words[7_000:]))
    out = bench.recut_copy(str(source), str(tmp_path / "docs.txt"))
    lines = Path(out).read_text().splitlines()
    assert [w for line in lines for w in line.split()] == words
    assert all(100 <= len(line.split()) <= 300 for line in lines[:-1])
    assert len({len(line.split()) for line in lines}) > 10  # lengths vary


def test_welch_interval_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    a, b = [0.251, 0.262, 0.249], [0.240, 0.247, 0.255, 0.238]
    diff, half = bench.welch(a, b)
    va, vb = (stats.tvar(x) / len(x) for x in (a, b))
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 3)
    assert diff == pytest.approx(sum(a) / 3 - sum(b) / 4)
    # the table rounds df down, so its interval is a little wider, never narrower
    exact = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    assert exact <= half <= stats.t.ppf(0.975, math.floor(df)) * math.sqrt(va + vb) + 1e-12
    assert math.isnan(bench.welch([0.3], [0.2, 0.25])[1])  # one run: no interval


def test_summary_compares_each_w2v_system_with_the_best_peer_per_metric():
    settings = {"sg": 1}

    def run(system, seed, analogy, ws353):
        return {"system": system, "corpus": "c", "seed": seed, "settings": settings,
                "train_s": 1.0, "analogy": analogy, "ws353": ws353}

    records = [run("w2v", s, 0.30 + s / 100, 0.60) for s in (1, 2, 3)]
    records += [run("gensim", s, 0.29, 0.65 + s / 100) for s in (1, 2, 3)]
    records += [run("ctool", s, 0.31, 0.50) for s in (1, 2, 3)]
    records.append({**run("gensim", 9, 0.9, 0.9), "settings": {"sg": 0}})  # other settings
    summary = bench.summarise(records, settings, ["w2v", "gensim", "ctool"])["c"]
    assert summary["systems"]["gensim"]["analogy"]["n"] == 3
    vs = summary["vs_best_peer"]["w2v"]
    assert vs["analogy"]["best_peer"] == "ctool" and vs["analogy"]["diff"] == pytest.approx(0.01)
    assert vs["ws353"]["best_peer"] == "gensim"
    assert vs["ws353"]["diff"] == pytest.approx(0.60 - 0.67)
    assert "simlex" not in vs


def test_w2v_wc_scores_unit_input_plus_unit_output_vectors(tmp_path):
    """``w2v[wc=1]``: the same training (one worker, one seed) scored as unit(W) + unit(C)."""
    import argparse

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(" ".join(rng.choice(words, 20)) for _ in range(200)))
    args = argparse.Namespace(vector_size=8, window=2, min_count=1, sg=1, hs=0, negative=3,
                              sample=0.0, epochs=1, workers=1, alpha=None)
    plain, _ = bench.train_w2v(args, str(corpus), 4, {})
    summed, _ = bench.train_w2v(args, str(corpus), 4, {"wc": 1})
    assert summed.index_to_key == plain.index_to_key
    w = np.asarray(plain.vectors)
    c = summed.vectors - w / np.linalg.norm(w, axis=1, keepdims=True)  # what was added
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0, rtol=1e-4)
    assert not np.allclose(c, w / np.linalg.norm(w, axis=1, keepdims=True), atol=1e-2)
    with pytest.raises(SystemExit, match="negative sampling"):
        bench.train_w2v(argparse.Namespace(**{**vars(args), "hs": 1, "negative": 0}),
                                 str(corpus), 4, {"wc": 1})
