"""Memory preflight: a model (or a file to load) larger than the memory the process can have
fails before any weight is allocated, with a message naming the sizes and what to change."""

import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import w2v
from w2v import InsufficientMemoryError, KeyedVectors, Word2Vec
from w2v._util import memory
from w2v._util.memory import MemoryLimit
from w2v.cli.main import main as cli_main

CORPUS = [[f"w{i}" for i in range(40)]] * 5  # 40 words, each seen 5 times


def limit_to(monkeypatch, available: int, source: str = "a test's limit") -> None:
    monkeypatch.setattr(memory, "available_memory", lambda: MemoryLimit(available, source))


def test_a_model_too_large_fails_before_allocating_with_its_sizes(monkeypatch):
    limit_to(monkeypatch, 10_000)
    allocated = []
    monkeypatch.setattr("w2v.model.initial_weights",
                        lambda *a: allocated.append(a) or pytest.fail("allocated"))
    with pytest.raises(InsufficientMemoryError) as info:
        Word2Vec(CORPUS, vector_size=64, min_count=1, negative=5, workers=1)
    assert allocated == []
    message = str(info.value)
    words, dim = 40, 64
    weights = words * dim * 4 * 2  # vectors and syn1neg
    assert f"vocabulary {words:,} x vector_size {dim:,} x 4 bytes x 2 matrices" in message
    assert memory.format_bytes(weights) in message
    assert memory.format_bytes(10_000) in message and "a test's limit" in message
    for advice in ("vector_size", "min_count", "max_final_vocab", "memory_check=False",
                   "--no-memory-check"):
        assert advice in message
    assert isinstance(info.value, MemoryError)


def test_the_message_counts_three_matrices_with_both_objectives(monkeypatch):
    limit_to(monkeypatch, 1000)
    with pytest.raises(InsufficientMemoryError, match="x 3 matrices"):
        Word2Vec(CORPUS, vector_size=8, min_count=1, hs=1, negative=5, workers=1)
    with pytest.raises(InsufficientMemoryError, match="x 2 matrices"):
        Word2Vec(CORPUS, vector_size=8, min_count=1, hs=1, negative=0, workers=1)


def test_a_model_that_fits_is_not_refused(monkeypatch):
    model = Word2Vec(min_count=1, vector_size=8, workers=1)
    model.build_vocab(CORPUS)
    needed = model.estimate_memory()["total"] - model.estimate_memory()["vocabulary"]
    limit_to(monkeypatch, needed)  # exactly enough
    Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1)
    limit_to(monkeypatch, needed - 1)
    with pytest.raises(InsufficientMemoryError):
        Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1)


def test_memory_check_false_goes_past_the_check_and_trains(monkeypatch):
    limit_to(monkeypatch, 1)
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1, memory_check=False)
    model.train(epochs=1)
    assert model.memory_check is False
    assert model.wv.vectors.shape == (40, 8) and np.isfinite(model.wv.vectors).all()


def test_an_unknown_limit_checks_nothing(monkeypatch):
    monkeypatch.setattr(memory, "available_memory", lambda: None)
    assert len(Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1).wv) == 40


def test_memory_check_is_a_validated_saved_parameter(tmp_path, monkeypatch):
    with pytest.raises(w2v.InvalidParameterError, match="memory_check must be 0 or 1, got 2"):
        Word2Vec(memory_check=2)
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1, memory_check=False)
    model.save(tmp_path / "m.zip")
    loaded = Word2Vec.load(tmp_path / "m.zip")
    assert loaded.memory_check is False and loaded.params == model.params
    assert Word2Vec(min_count=1).set_params(memory_check=0).memory_check == 0


def test_growing_the_vocabulary_is_checked_too(monkeypatch):
    model = Word2Vec(CORPUS, vector_size=8, min_count=1, workers=1)
    limit_to(monkeypatch, 100)
    more = [[f"new{i}" for i in range(50)]] * 2
    with pytest.raises(InsufficientMemoryError, match="vocabulary 90 x vector_size 8"):
        model.build_vocab(more, update=True)
    assert len(model.wv) == 40  # unchanged


def test_the_command_line_reports_it_and_has_a_way_past(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in CORPUS) + "\n")
    limit_to(monkeypatch, 1000)
    out = tmp_path / "v.txt"
    status = cli_main(["train", str(corpus), "-o", str(out), "--min-count", "1",
                       "--vector-size", "8", "--workers", "1", "--no-progress"])
    assert status == 2 and not out.exists()
    err = capsys.readouterr().err
    assert err.startswith("w2v: error: this model needs") and "--no-memory-check" in err
    status = cli_main(["train", str(corpus), "-o", str(out), "--min-count", "1",
                       "--vector-size", "8", "--workers", "1", "--no-progress",
                       "--epochs", "1", "--no-memory-check"])
    assert status == 0 and len(out.read_text().splitlines()) == 41


# ------------------------------------------------------------------- loading
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("saved")
    model = Word2Vec(CORPUS, vector_size=16, min_count=1, workers=1).train(epochs=1)
    model.save(folder / "model.zip")
    model.save(folder / "model_folder")
    model.wv.save(folder / "vectors.zip")
    return folder, model


@pytest.mark.parametrize("name", ["model.zip", "model_folder"])
def test_loading_a_model_larger_than_memory_suggests_mmap(saved, monkeypatch, name):
    folder, model = saved
    arrays = model.wv.vectors.nbytes + model.syn1neg.nbytes
    limit_to(monkeypatch, arrays // 2)
    with pytest.raises(InsufficientMemoryError) as info:
        Word2Vec.load(folder / name)
    message = str(info.value)
    assert str(folder / name) in message and "mmap='r'" in message
    assert "memory_check=False" in message
    # mapped, nothing is read into memory: no check; memory_check=False reads anyway
    mapped = Word2Vec.load(folder / name, mmap="r")
    assert np.array_equal(mapped.wv.vectors, model.wv.vectors)
    read = Word2Vec.load(folder / name, memory_check=False)
    assert np.array_equal(read.wv.vectors, model.wv.vectors)


def test_loading_vectors_larger_than_memory_suggests_mmap(saved, monkeypatch):
    folder, model = saved
    limit_to(monkeypatch, 100)
    with pytest.raises(InsufficientMemoryError, match="mmap='r'"):
        KeyedVectors.load(folder / "vectors.zip")
    with pytest.raises(InsufficientMemoryError, match="mmap='r'"):
        w2v.load_vectors(folder / "vectors.zip")
    kv = KeyedVectors.load(folder / "vectors.zip", mmap="r")
    assert kv.index_to_key == model.wv.index_to_key


def test_a_manifest_promising_more_than_the_file_holds_stays_a_value_error(tmp_path,
                                                                            monkeypatch):
    import json

    model = Word2Vec(CORPUS, vector_size=4, min_count=1, workers=1)
    model.save(tmp_path / "m")
    meta_path = tmp_path / "m" / "meta.json"
    header = json.loads(meta_path.read_text())
    header["arrays"]["vectors"]["shape"] = [40, 10**9]
    meta_path.write_text(json.dumps(header))
    limit_to(monkeypatch, 10**6)
    with pytest.raises(ValueError, match="manifest"):  # corrupt, not "out of memory"
        Word2Vec.load(tmp_path / "m")


# ------------------------------------------------------------------- probing limits
def test_meminfo_and_status_parsing():
    text = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2000 kB\n"
    assert memory.parse_meminfo(text) == 2000 * 1024
    assert memory.parse_meminfo("MemTotal: 5 kB\n") is None
    assert memory.parse_vm_size("VmPeak:\t 9 kB\nVmSize:\t  300 kB\n") == 300 * 1024
    assert memory.parse_vm_size("Name: x\n") is None


def test_cgroup_v2_parsing():
    assert memory.parse_cgroup_v2("max\n", "5000\n") is None
    assert memory.parse_cgroup_v2("1048576\n", "524288\n") == 524288
    stat = "anon 100\nfile 300\ninactive_file 200\nactive_file 100\n"
    assert memory.parse_cgroup_v2("1000\n", "900\n", stat) == 300
    assert memory.parse_cgroup_v2("1000\n", "1200\n") == 0  # over the limit already
    assert memory.parse_cgroup_v2("garbage", "1") is None


def test_cgroup_v1_parsing():
    assert memory.parse_cgroup_v1(str(2**63 - 4096), "5000") is None  # v1's "no limit"
    assert memory.parse_cgroup_v1("4096\n", "1024\n") == 3072
    assert memory.parse_cgroup_v1("4096\n", "4000\n", "total_inactive_file 1000\n") == 1096


def test_cgroup_files_are_found_under_the_process_cgroup(tmp_path, monkeypatch):
    own = tmp_path / "user.slice" / "job"
    own.mkdir(parents=True)
    (own / "memory.max").write_text("2000000\n")
    (own / "memory.current").write_text("500000\n")
    (own / "memory.stat").write_text("inactive_file 100000\n")
    real_read = memory._read
    monkeypatch.setattr(memory, "_read", lambda path: "0::/user.slice/job\n"
                        if path == "/proc/self/cgroup" else real_read(path))
    found = memory.cgroup_limit(str(tmp_path))
    assert found is not None and found.available == 2000000 - 500000 + 100000
    assert "memory.max 2000000" in found.source
    v1 = tmp_path / "v1"
    (v1 / "memory").mkdir(parents=True)
    (v1 / "memory" / "memory.limit_in_bytes").write_text("8192\n")
    (v1 / "memory" / "memory.usage_in_bytes").write_text("4096\n")
    found = memory.cgroup_limit(str(v1))
    assert found is not None and found.available == 4096
    assert memory.cgroup_limit(str(tmp_path / "nothing")) is None


def test_the_tightest_limit_wins(monkeypatch):
    monkeypatch.setattr(memory, "PROBES", (lambda: MemoryLimit(500, "a"),
                                           lambda: None, lambda: MemoryLimit(300, "b")))
    assert memory.available_memory() == MemoryLimit(300, "b")
    monkeypatch.setattr(memory, "PROBES", (lambda: None,))
    assert memory.available_memory() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS as on Linux")
def test_a_real_address_space_limit_is_met_with_our_error_not_numpys(tmp_path):
    child = textwrap.dedent("""
        import resource, sys, time
        import w2v
        from w2v._util import memory
        mapped = memory.parse_vm_size(open("/proc/self/status").read())
        limit = mapped + 1_500_000_000
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.RLIM_INFINITY))
        found = memory.address_space_limit()
        assert found is not None and found.available <= 1_500_000_000, found
        corpus = [[f"w{i}" for i in range(600)]] * 2
        started = time.perf_counter()
        try:
            w2v.Word2Vec(corpus, vector_size=1_000_000, min_count=1, workers=1)
        except w2v.InsufficientMemoryError as error:
            print(type(error).__name__, time.perf_counter() - started)
            print(error)
            sys.exit(0)
        sys.exit("no error")
    """)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    first, message = done.stdout.splitlines()[:2]
    assert first.startswith("InsufficientMemoryError") and float(first.split()[1]) < 5
    assert "vocabulary 600 x vector_size 1,000,000" in message
    assert time.perf_counter() - started < 60
