"""Cutting corpus files into pieces for distributed training (w2v.distributed.shards): the
pieces of a file hold exactly its tokens, whole files are kept when they balance the workers, and a
piece's errors name the original file, line and byte offset."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2v.data.corpus import PathCorpus
from w2v.data.vocab import count_words
from w2v.distributed import shards
from w2v.distributed.shards import Piece, boundary, local_copy, split


def tokens_of(data: bytes) -> list[str]:
    return data.decode("utf-8").split()


def piece_bytes(data: bytes, cuts: list[int]) -> list[bytes]:
    """The bytes of the pieces [0, c1), [c1, c2), ... [ck, end) as boundary() places them."""
    return [data[a:b] for a, b in piece_bounds(data, cuts)]


def piece_bounds(data: bytes, cuts: list[int]) -> list[tuple[int, int]]:
    source = io.BytesIO(data)
    ends = [boundary(source, at) for at in [0, *cuts]] + [len(data)]
    return list(zip(ends, ends[1:], strict=False))


# words of 1 to 4 bytes per character, every byte str.split() splits on, and BOMs
ALPHABET = ["a", "é", "€", "𝄞", " ", "\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\u3000",
            "\ufeff", "\u00a0"]


@settings(max_examples=300, deadline=None)
@given(text=st.lists(st.sampled_from(ALPHABET), max_size=80).map("".join),
       cuts=st.lists(st.integers(0, 400), max_size=5), line_search=st.integers(1, 8))
def test_pieces_tile_the_file_and_hold_exactly_its_tokens(text, cuts, line_search):
    data = text.encode("utf-8")
    old, shards.LINE_SEARCH_BYTES = shards.LINE_SEARCH_BYTES, line_search
    try:
        bounds = piece_bounds(data, sorted(cuts))
    finally:
        shards.LINE_SEARCH_BYTES = old
    pieces = [data[a:b] for a, b in bounds]
    assert b"".join(pieces) == data  # no gap, no overlap
    assert [t for p in pieces for t in tokens_of(p)] == tokens_of(data)
    for start, _ in bounds:  # no piece but the file's start begins with what its reader
        assert start == 0 or not data[start:].startswith(codecs.BOM_UTF8)  # takes for a BOM


def test_a_piece_ends_after_a_newline_when_one_is_near():
    data = b"aa bb cc\ndd ee ff\ngg"
    assert piece_bytes(data, [4]) == [b"aa bb cc\n", b"dd ee ff\ngg"]
    old, shards.LINE_SEARCH_BYTES = shards.LINE_SEARCH_BYTES, 3
    try:  # no newline within 3 bytes: the next space
        assert piece_bytes(data, [4]) == [b"aa bb ", b"cc\ndd ee ff\ngg"]
    finally:
        shards.LINE_SEARCH_BYTES = old
    assert piece_bytes(b"abcdef", [2]) == [b"abcdef", b""]  # one token: one piece holds it


def shard_bytes(plan: list[list[Piece]]) -> list[int]:
    """Each shard's nominal bytes (from its pieces' offsets and the files' sizes)."""
    return [sum((os.path.getsize(p.path) if p.stop is None else p.stop) - p.start
                for p in shard) for shard in plan]


def write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def text8_like(words: int, seed: int = 0) -> bytes:
    """One line of words (like text8), with multi-byte characters."""
    import numpy as np

    rng = np.random.default_rng(seed)
    vocab = [f"w{k}" for k in range(200)] + ["été", "naïve", "日本", "𝄞x"]
    return " ".join(vocab[i] for i in rng.integers(0, len(vocab), words)).encode()


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_counting_pieces_gives_the_whole_files_counts(tmp_path, monkeypatch, compiled):
    path = write(tmp_path / "one.txt", text8_like(30_000) + b"\n" + text8_like(5_000, 1))
    size = os.path.getsize(path)
    monkeypatch.setattr(shards, "MIN_PIECE_BYTES", 1_000)
    plan = split([path], 3)
    assert len(plan) == 3 and all(len(shard) == 1 for shard in plan)
    assert plan[0][0].start == 0 and plan[-1][-1].stop is None
    # a subclass is read by iteration (the Python reader), not the compiled scanner
    reader = PathCorpus if compiled else type("Iterated", (PathCorpus,), {})
    total: Counter = Counter()
    words = 0
    for (piece,) in plan:
        assert abs((piece.stop or size) - piece.start - size / 3) < 2
        with local_copy(piece) as local:
            counts, n, _ = count_words(reader(local), None)
        total.update(counts)
        words += n
    whole, n_whole, _ = count_words(PathCorpus(path), None)
    assert total == whole and words == n_whole


def test_whole_files_are_kept_when_they_balance_the_workers(tmp_path):
    sizes = [900, 500, 400, 100, 100]
    files = [write(tmp_path / f"f{k}.txt", b"x " * (size // 2)) for k, size in enumerate(sizes)]
    plan = split(files, 2)
    assert all(piece.whole for shard in plan for piece in shard)
    loads = sorted(shard_bytes(plan))
    assert loads == [1000, 1000] and sorted(p.path for s in plan for p in s) == sorted(files)


def test_files_are_cut_when_whole_ones_cannot_balance(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "MIN_PIECE_BYTES", 100)
    files = [write(tmp_path / f"f{k}.txt", b"ab " * n) for k, n in enumerate([3000, 500])]
    plan = split(files, 2)
    loads = shard_bytes(plan)
    assert len(plan) == 2 and max(loads) - min(loads) <= 2
    covered = sorted(((p.path, p.start, p.stop) for s in plan for p in s),
                     key=lambda r: (r[0], r[1]))
    assert covered[0] == (files[0], 0, covered[1][1]) and covered[1][2] is None
    assert covered[2] == (files[1], 0, None)


def test_every_file_is_in_the_plan_empty_ones_too(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "MIN_PIECE_BYTES", 100)
    files = [write(tmp_path / "empty.txt", b""), write(tmp_path / "big.txt", b"ab " * 1000)]
    plan = split(files, 2)
    assert {p.path for shard in plan for p in shard} == set(files) and len(plan) == 2


def test_no_piece_is_a_sliver(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "MIN_PIECE_BYTES", 1_000)
    # 3 workers, 3,000 + 10 + 2,990 bytes: a cut 10 bytes into a file would leave a sliver
    files = [write(tmp_path / f"f{k}.txt", b"a" * n) for k, n in enumerate([3000, 10, 2990])]
    plan = split(files, 3)
    for shard in plan:
        for p in shard:
            size = os.path.getsize(p.path)
            assert p.whole or ((p.stop or size) - p.start >= 1_000)


def test_compressed_files_and_directories_are_never_cut(tmp_path):
    big = tmp_path / "big.txt.gz"
    with gzip.open(big, "wb") as out:
        out.write(os.urandom(1 << 16).hex().encode())
    folder = tmp_path / "dir"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a b\n" * 100_000)
    assert split([str(big)], 2) == [[Piece(str(big))]]
    assert split([str(folder)], 2) == [[Piece(str(folder))]]
    (folder / ".hidden").write_bytes(b"x" * 1000)  # PathCorpus skips it
    assert shards.file_sizes([str(folder), str(tmp_path / "none")]) == [400_000, None]
    # the folder weighs its files: with one plain file as big, no file is cut
    plain = write(tmp_path / "plain.txt", b"a b\n" * 100_000)
    assert split([str(folder), plain], 2) == [[Piece(str(folder))], [Piece(plain)]]


def test_a_pieces_decoding_error_names_the_original_file_line_and_offset(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "MIN_PIECE_BYTES", 10)
    lines = [b"good words here %d" % k for k in range(2000)]
    lines[1500] = b"bad \xff byte"
    path = write(tmp_path / "bad.txt", b"\n".join(lines) + b"\n")
    with pytest.raises(ValueError) as whole:
        count_words(PathCorpus(path), None)
    (first,), (second,) = split([path], 2)
    assert second.start > 0
    with local_copy(first) as local:
        count_words(PathCorpus(local), None)  # the bad line is in the second piece
    with pytest.raises(ValueError) as piece, local_copy(second) as local:
        count_words(PathCorpus(local), None)
    assert str(piece.value) == str(whole.value)
    assert re.search(r"line 1501 \(byte offset \d+\)", str(piece.value))


def test_a_copy_goes_to_the_directory_given_and_is_removed(tmp_path):
    path = write(tmp_path / "a.txt", b"a b c " * 1000)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with local_copy(Piece(path, 100, 3000), directory=str(scratch)) as local:
        assert os.path.dirname(local) == str(scratch)
        assert open(local, "rb").read() == (b"a b c " * 1000)[100:3000]
    assert list(scratch.iterdir()) == []
    with local_copy(path, directory=str(scratch)) as local:  # a whole local file: no copy
        assert local == path


@pytest.mark.parametrize("name", ["part.txt.gz", "PART.TXT.GZ"])
def test_a_compressed_urls_copy_is_decompressed_as_the_original(name):
    fsspec = pytest.importorskip("fsspec")
    url = f"memory://w2v-gz/{name}"
    with fsspec.open(url, "wb") as handle:
        handle.write(gzip.compress(b"a b c\n"))
    with local_copy(url) as local:
        assert list(PathCorpus(local)) == list(PathCorpus(local)) == [["a", "b", "c"]]


def test_a_missing_file_is_named(tmp_path):
    missing = str(tmp_path / "nowhere.txt")
    for piece in (missing, Piece(missing, 10, 20)):
        with pytest.raises(FileNotFoundError, match=r"nowhere\.txt' not found on host x"), \
                local_copy(piece, " on host x"):
            pass


def test_urls_are_read_through_fsspec_whole_and_in_pieces(monkeypatch):
    fsspec = pytest.importorskip("fsspec")
    data = b"a b c\nb c\n" * 300
    with fsspec.open("memory://w2v-test/part.txt", "wb") as handle:
        handle.write(data)
    url = "memory://w2v-test/part.txt"
    assert shards.file_sizes([url]) == [len(data)]
    with local_copy(url) as local:
        assert open(local, "rb").read() == data
    assert not os.path.exists(local)  # the copy is removed
    monkeypatch.setattr(shards, "MIN_PIECE_BYTES", 100)
    plan = split([url], 2)
    assert len(plan) == 2
    read = b""
    for (piece,) in plan:
        with local_copy(piece) as local:
            read += open(local, "rb").read()
    assert read == data
    with pytest.raises(FileNotFoundError, match="memory://w2v-test/none.txt"), \
            local_copy("memory://w2v-test/none.txt"):
        pass


def test_small_files_after_a_cut_fill_the_next_shards(tmp_path, monkeypatch):
    monkeypatch.setattr(shards, "MIN_PIECE_BYTES", 1_000)
    files = [write(tmp_path / "big.txt", b"ab " * 6_667)]  # 20,001 bytes
    files += [write(tmp_path / f"small{k}.txt", b"ab " * 100) for k in range(40)]  # 300 each
    plan = split(files, 3)
    loads = shard_bytes(plan)
    assert len(plan) == 3 and max(loads) - min(loads) <= 600, loads
    assert sum(not p.whole for shard in plan for p in shard) == 2  # the big file in 2 pieces


def test_urls_in_one_folder_are_sized_by_one_listing(monkeypatch):
    fsspec = pytest.importorskip("fsspec")
    urls = [f"memory://w2v-sizes/part-{k}.txt" for k in range(3)]
    for k, url in enumerate(urls):
        with fsspec.open(url, "wb") as handle:
            handle.write(b"x " * (k + 1))
    fs = fsspec.filesystem("memory")
    calls = []
    monkeypatch.setattr(type(fs), "info", lambda *a, **k: calls.append("info"))
    listing = type(fs).ls
    monkeypatch.setattr(type(fs), "ls", lambda self, *a, **k: (calls.append("ls"),
                                                                listing(self, *a, **k))[1])
    sizes = shards.file_sizes([*urls, "memory://w2v-sizes/none.txt", "nowhere://x/y.txt"])
    assert sizes == [2, 4, 6, None, None] and calls == ["ls"]
