"""A fuzz campaign over every loader and the corpus readers: N mutated inputs per target,
each in a worker process, with crash, hang and allocation detection.

    PYTHONPATH=src python tools/fuzz_campaign.py [--inputs N] [--time-limit SECONDS]
        [--targets c_text,c_binary,...] [--seed S] [--json OUT.json] [--findings DIR]

Run it against the sanitized build to catch memory errors in the compiled readers:
``tools/sanitize.sh --exec`` builds that copy in a temporary folder and runs this script
on it with libasan preloaded (below).

The fuzzer is a deterministic mutation fuzzer (not coverage-guided; atheris is
tools/fuzz_loaders.py): input ``i`` of target ``t`` under ``--seed s`` is made from the
seed files in tools/fuzz_seeds/ (written by tools/make_fuzz_seeds.py) by a generator
seeded with ``(s, t, i)``, so any finding is reproduced with ``--replay t:i``. Mutations,
one to four stacked: bit flips, bytes set to boundary values, random bytes inserted,
ranges deleted or duplicated, truncation, splicing with another seed, ASCII numbers
replaced by boundary numbers (header fields: counts, dimensions, .npy shapes), and for
the JSON metadata, a value replaced by one of another type or range; zip files are
mutated either as raw bytes or member by member (rezipped, so the CRC still holds and
the loader's own checks are reached).

Targets:

- ``c_text`` / ``c_binary``: ``load_word2vec_format`` of the C tool's text / binary file;
- ``native_zip``: ``KeyedVectors.load`` / ``Word2Vec.load`` of a native zip (also with
  ``mmap="r"``);
- ``native_folder``: the same for a native folder whose ``meta.json`` (mostly) or an
  array member is the input;
- ``checkpoint``: ``load_checkpoint`` of a training checkpoint (zip);
- ``corpus_iter``: iterating a ``PathCorpus`` (the Python reader; strict and replace);
- ``corpus_scan``: ``count_words`` and ``encode_corpus`` of a ``PathCorpus``: the
  compiled scanner (w2v._scan), also of gzip files.

Outcomes of an input: ``ok`` (a load), ``ValueError`` (UnicodeDecodeError and
InvalidParameterError included: the documented refusal), another exception (reported by
type, its first inputs saved), an allocation beyond what the file justifies, a hang (no
end within ``--timeout`` seconds: SIGALRM in the worker; the parent also kills a worker
whose input counter stops, for a loop in C that SIGALRM cannot interrupt), a crash (the
worker died: a signal, e.g. a sanitizer's abort). After a crash or a hang the worker is
restarted at the next input. Allocations (``--alloc-guard``): by default the worker's
peak resident memory may not grow past ``--memory-base`` MB plus ``--memory-factor``
times the input's size, and no single allocation may pass an address-space limit (1 GB
above the warm worker's; under ASan, which reserves terabytes of address space, its
``max_allocation_size_mb`` instead, e.g. ``SANITIZE_ASAN_OPTIONS=max_allocation_size_mb=256``)
— a MemoryError counts as an allocation finding; ``--alloc-guard tracemalloc`` measures
each input's peak exactly, five times slower. A table is printed and, with --json, the
figures are written.

Under the sanitizers:

    SANITIZE_ASAN_OPTIONS=max_allocation_size_mb=256:quarantine_size_mb=32 \
        bash tools/sanitize.sh --exec python tools/fuzz_campaign.py --inputs 150000 \
        --time-limit 3600 --memory-base 128 --json fuzz.json
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import mmap
import os
import random
import selectors
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "fuzz_seeds"
TARGETS = ["c_text", "c_binary", "native_zip", "native_folder", "checkpoint", "corpus_iter",
           "corpus_scan"]


class Hang(BaseException):  # not an Exception: no loader's except clause may swallow it
    pass


# ------------------------------------------------------------------------- mutations
INTERESTING_BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x20, 0x0A, 0x0D, 0x09, 0x2D, 0x30,
                     0x39, 0xC2, 0xE2, 0xE3, 0xED, 0xF4, 0x22, 0x7B, 0x5B]
INTERESTING_NUMBERS = [b"0", b"-1", b"1", b"2", b"3", b"255", b"256", b"65535", b"2147483647",
                       b"2147483648", b"-2147483649", b"4294967296", b"9223372036854775807",
                       b"9223372036854775808", b"18446744073709551616", b"1e308", b"-0",
                       b"nan", b"inf", b"1" * 40, b"0x10", b"1.5", b""]
JSON_VALUES: list[Any] = [None, True, False, 0, -1, 1, 2, 3, 2**31, 2**63, 2**64, -2**63,
                          1.5, 1e308, -1e308, float("nan"), float("inf"), "", "x", "<f4",
                          "<f8", ">f4", "|O", "float32", "w2v", [], [1], [2**40, 2**40],
                          {}, {"a": 1}, "\udcff"[:0] + "é"]


def _bytes_mutation(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    buf = bytearray(data)
    kind = rng.randrange(10)
    n = len(buf)
    if kind == 0 and n:  # bit flips
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(n)
            buf[i] ^= 1 << rng.randrange(8)
    elif kind == 1 and n:  # boundary bytes
        for _ in range(rng.randint(1, 3)):
            buf[rng.randrange(n)] = rng.choice(INTERESTING_BYTES)
    elif kind == 2:  # random bytes inserted
        i = rng.randint(0, n)
        buf[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == 3 and n:  # a range deleted
        i = rng.randrange(n)
        del buf[i:i + rng.randint(1, max(1, min(64, n - i)))]
    elif kind == 4 and n:  # a range duplicated
        i = rng.randrange(n)
        j = min(n, i + rng.randint(1, 64))
        k = rng.randint(0, n)
        buf[k:k] = buf[i:j] * rng.randint(1, 4)
    elif kind == 5:  # truncated
        del buf[rng.randint(0, n):]
    elif kind == 6 and others:  # spliced with another seed
        other = rng.choice(others)
        i, j = rng.randint(0, n), rng.randint(0, len(other))
        buf = buf[:i] + other[j:]
    elif kind in (7, 8):  # an ASCII number (a header field, a shape) replaced
        starts = [i for i in range(n) if chr(buf[i]).isdigit() and (i == 0 or not chr(
            buf[i - 1]).isdigit())]
        if starts:
            i = rng.choice(starts)
            j = i
            while j < n and chr(buf[j]).isdigit():
                j += 1
            buf[i:j] = rng.choice(INTERESTING_NUMBERS)
    else:  # a random byte anywhere
        if n:
            buf[rng.randrange(n)] = rng.randrange(256)
        else:
            buf.append(rng.randrange(256))
    return bytes(buf)


def _json_mutation(data: bytes, rng: random.Random) -> bytes | None:
    """``data`` (JSON) with one value replaced, a key removed or added; None if it is not
    JSON."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    slots: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                slots.append((node, key))
                walk(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                slots.append((node, index))
                walk(value)

    walk(doc)
    if not slots:
        return None
    container, key = rng.choice(slots)
    action = rng.randrange(6)
    if action == 0 and isinstance(container, dict):
        del container[key]
    elif action == 1 and isinstance(container, dict):
        container[rng.choice(["extra", "format", "version", "kind", "shape"])] = rng.choice(
            JSON_VALUES)
    elif action == 2 and isinstance(container[key], (int, float)) and not isinstance(
            container[key], bool):
        container[key] = container[key] + rng.choice([-1, 1, 2**31, -2**31, 10**6])
    else:
        container[key] = rng.choice(JSON_VALUES)
    return json.dumps(doc).encode()


def mutate(data: bytes, rng: random.Random, others: list[bytes], is_json: bool = False
           ) -> bytes:
    """One to four stacked mutations of ``data``."""
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        if is_json and rng.random() < 0.6:
            mutated = _json_mutation(data, rng)
            if mutated is not None:
                data = mutated
                continue
        data = _bytes_mutation(data, rng, others)
    return data


def _zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, value in members.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, value)
    return out.getvalue()


def mutate_zip(data: bytes, rng: random.Random, others: list[bytes]) -> bytes:
    """Half the time raw bytes; else one member mutated (or dropped, or duplicated)."""
    if rng.random() < 0.35:
        return mutate(data, rng, others)
    members = _zip_members(data)
    names = list(members)
    name = rng.choice(names)
    action = rng.random()
    if action < 0.05:
        del members[name]
    elif action < 0.08:
        members["extra.npy"] = members[name]
    else:
        members[name] = mutate(members[name], rng, [], is_json=name.endswith(".json"))
    return _rezip(members)


# --------------------------------------------------------------------------- targets
class Target:
    """Seeds, a way to make input ``i``, and the call that loads it."""

    name = ""
    seed_dir = ""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.seeds = self.load_seeds()

    def load_seeds(self) -> dict[str, bytes]:
        folder = SEEDS / self.seed_dir
        return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}

    def make(self, rng: random.Random) -> tuple[str, bytes]:
        """(the seed's name, the input) for one input."""
        name = rng.choice(sorted(self.seeds))
        others = [v for k, v in self.seeds.items() if k != name]
        if rng.random() < 0.01:  # now and then, random bytes
            return name, bytes(rng.randrange(256) for _ in range(rng.randint(0, 256)))
        return name, self.mutate(name, self.seeds[name], rng, others)

    def mutate(self, name: str, data: bytes, rng: random.Random, others: list[bytes]
               ) -> bytes:
        return mutate(data, rng, others, is_json=name.endswith(".json"))

    def path_for(self, name: str) -> Path:
        path = self.work / name
        path.unlink(missing_ok=True)  # a new inode: a memory map of the last input stays
        return path

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        raise NotImplementedError


class CText(Target):
    name, seed_dir = "c_text", "c_text"

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        from w2v.io.word2vec_format import load_word2vec_format

        path = self.path_for(name)
        path.write_bytes(data)
        load_word2vec_format(path, binary=False, limit=rng.choice([None, None, 2]))


class CBinary(CText):
    name, seed_dir = "c_binary", "c_binary"

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        from w2v.io.word2vec_format import load_word2vec_format

        path = self.path_for(name)
        path.write_bytes(data)
        load_word2vec_format(path, binary=True, limit=rng.choice([None, None, 2]))


class NativeZip(Target):
    name, seed_dir = "native_zip", "native_zip"

    def mutate(self, name: str, data: bytes, rng: random.Random, others: list[bytes]
               ) -> bytes:
        return mutate_zip(data, rng, others)

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        from w2v import KeyedVectors, Word2Vec

        path = self.path_for(name)
        path.write_bytes(data)
        cls = Word2Vec if name.startswith("model") else KeyedVectors
        cls.load(path, mmap=rng.choice([None, None, "r"]))


class NativeFolder(Target):
    """Seeds are the members of tools/fuzz_seeds/native_folder/{kv,model}/; an input is
    one member, written into a copy of its folder."""

    name, seed_dir = "native_folder", "native_folder"

    def load_seeds(self) -> dict[str, bytes]:
        seeds = {}
        for folder in sorted((SEEDS / self.seed_dir).iterdir()):
            copy = self.work / folder.name
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(folder, copy)
            for member in sorted(folder.iterdir()):
                seeds[f"{folder.name}/{member.name}"] = member.read_bytes()
        return seeds

    def make(self, rng: random.Random) -> tuple[str, bytes]:
        metas = sorted(k for k in self.seeds if k.endswith("meta.json"))
        if rng.random() < 0.75:  # the metadata mostly
            name = rng.choice(metas)
            return name, mutate(self.seeds[name], rng, [], is_json=True)
        return super().make(rng)

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        from w2v import KeyedVectors, Word2Vec

        folder, member = name.split("/")
        target = self.work / folder / member
        target.unlink(missing_ok=True)
        target.write_bytes(data)
        try:
            cls = Word2Vec if folder.startswith("model") else KeyedVectors
            cls.load(self.work / folder, mmap=rng.choice([None, None, "r"]))
        finally:
            target.unlink(missing_ok=True)
            target.write_bytes(self.seeds[name])


class Checkpoint(NativeZip):
    name, seed_dir = "checkpoint", "checkpoint"

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        from w2v.train.checkpoint import load_checkpoint

        path = self.path_for(name)
        path.write_bytes(data)
        load_checkpoint(path)


class CorpusIter(Target):
    name, seed_dir = "corpus_iter", "corpus"

    def make(self, rng: random.Random) -> tuple[str, bytes]:
        """A .gz seed is mutated either as its text (then compressed) or as gzip bytes."""
        name = rng.choice(sorted(self.seeds))
        data = self.seeds[name]
        others = [v for k, v in self.seeds.items() if k != name and not k.endswith(".gz")]
        if name.endswith(".gz") and rng.random() < 0.7:
            text = gzip.decompress(data)
            return name, gzip.compress(mutate(text, rng, others), mtime=0)
        return name, mutate(data, rng, others)

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        from w2v.data.corpus import PathCorpus

        path = self.path_for(name)
        path.write_bytes(data)
        corpus = PathCorpus(path, max_sentence_length=rng.choice([1, 3, 10_000]),
                            encoding_errors=rng.choice(["strict", "strict", "replace"]),
                            block_size=rng.choice([1, 7, 1 << 16]))
        for _ in corpus:
            pass


class CorpusScan(CorpusIter):
    """The compiled scanner: count_words and encode_corpus of a strict UTF-8 PathCorpus."""

    name, seed_dir = "corpus_scan", "corpus"

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        from w2v.data.corpus import PathCorpus
        from w2v.data.encoding import encode_corpus
        from w2v.data.vocab import count_words

        path = self.path_for(name)
        path.write_bytes(data)
        corpus = PathCorpus(path, max_sentence_length=rng.choice([1, 3, 10_000]),
                            block_size=rng.choice([1, 7, 1 << 16]),
                            max_token_length=rng.choice([4, 1000]))
        counts, _, _ = count_words(corpus, max_vocab_size=rng.choice([None, 2]))
        vocab = {word: i for i, word in enumerate(sorted(counts)[:50])}
        encode_corpus(corpus, vocab)


class SelfTest(Target):
    """Not a loader: inputs that crash, hang, allocate or raise on purpose, to show that the
    campaign finds and counts each (tests/test_fuzz_loaders.py)."""

    name = "_selftest"
    KINDS = (b"ok", b"ok", b"ok", b"value", b"key", b"crash", b"hang", b"alloc")

    def load_seeds(self) -> dict[str, bytes]:
        return {"-": b""}

    def make(self, rng: random.Random) -> tuple[str, bytes]:
        return "-", rng.choice(self.KINDS)

    def run(self, name: str, data: bytes, rng: random.Random) -> None:
        if data == b"value":
            raise ValueError("refused")
        if data == b"key":
            raise KeyError("a bug")
        if data == b"crash":
            os.abort()
        if data == b"hang":
            time.sleep(3600)
        if data == b"alloc":
            block = bytearray(256 * 2**20)
            block[::4096] = b"x" * len(block[::4096])  # touched: resident


TARGET_CLASSES: dict[str, type[Target]] = {cls.name: cls for cls in (
    CText, CBinary, NativeZip, NativeFolder, Checkpoint, CorpusIter, CorpusScan, SelfTest)}


def input_rng(seed: int, target: str, index: int) -> random.Random:
    digest = hashlib.blake2b(f"{seed}:{target}:{index}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


# ---------------------------------------------------------------------------- worker
def _max_rss() -> int:
    """The peak resident memory of this process so far, in bytes.

    On Linux from ``VmHWM``, the peak of this process's own memory: ``ru_maxrss`` also
    keeps, across ``exec``, the peak of the process that forked it (a big test runner's),
    which hid a worker's 256 MB allocation in the full test suite."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def alarm(*_: Any) -> None:
        raise Hang(f"more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def worker(args: argparse.Namespace) -> int:
    """Run inputs [start, stop) of one target; the index of the input under way is kept in
    the shared file args.counter (8 bytes) for the parent; results are JSON lines."""
    import warnings

    warnings.simplefilter("ignore")
    import logging

    logging.getLogger("w2v").setLevel(logging.CRITICAL)
    work = Path(tempfile.mkdtemp(prefix=f"w2v-fuzz-{args.worker}-", dir=args.scratch))
    target = TARGET_CLASSES[args.worker](work)
    findings = Path(args.findings)
    with open(args.counter, "r+b") as fh:
        shared = mmap.mmap(fh.fileno(), 8)
    reported: Counter[str] = Counter()
    base = args.memory_base * 2**20

    def stop(*_: Any) -> None:  # the parent's deadline: end cleanly, counts sent
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)

    def emit(record: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(record) + "\n")
        sys.stdout.flush()

    def report(kind: str, index: int, name: str, data: bytes, detail: str) -> None:
        digest = hashlib.sha1(data).hexdigest()[:12]
        saved = findings / f"{target.name}-{kind}-{index}-{digest}.bin"
        saved.write_bytes(data)
        emit({"finding": kind, "index": index, "seed": name, "detail": detail[:500],
              "file": str(saved)})

    # Warm up on the unmutated seeds (imports, caches), then measure the baseline.
    for name in sorted(target.seeds):
        with contextlib.suppress(Exception):
            target.run(name, target.seeds[name], random.Random(0))
    if args.alloc_guard == "tracemalloc":
        tracemalloc.start()
    elif not os.environ.get("LD_PRELOAD", "").count("libasan"):
        # no single allocation may reach past 1 GB more than the warm process has mapped
        # (ASan reserves terabytes of address space: there, its max_allocation_size_mb)
        import resource

        statm = Path("/proc/self/statm").read_text()
        mapped = int(statm.split()[0]) * os.sysconf("SC_PAGE_SIZE")
        limit = mapped + 2**30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    baseline = _max_rss()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    position = args.start  # the inputs before it are done and counted
    try:
        for index in range(args.start, args.stop):
            shared[:8] = struct.pack("<q", index)
            rng = input_rng(args.seed, target.name, index)
            name, data = target.make(rng)
            if args.alloc_guard == "tracemalloc":
                tracemalloc.reset_peak()
                before = tracemalloc.get_traced_memory()[0]
            outcome = "ok"
            try:
                with time_limit(args.timeout):
                    target.run(name, data, rng)
            except Hang:
                outcome = "hang"
                report("hang", index, name, data, f"no end within {args.timeout} s")
            except MemoryError as error:
                outcome = "MemoryError"
                report("allocation", index, name, data, f"MemoryError: {error}")
            except ValueError as error:  # UnicodeDecodeError included: the refusal
                outcome = "refused:" + type(error).__name__
            except Exception as error:  # noqa: BLE001 (every other type is a finding)
                outcome = type(error).__name__
                reported[outcome] += 1
                if reported[outcome] <= 3:
                    report("exception", index, name, data, f"{outcome}: {error}")
            bound = base + args.memory_factor * len(data)
            if args.alloc_guard == "tracemalloc":
                peak = tracemalloc.get_traced_memory()[1] - before
                if peak > bound:
                    report("allocation", index, name, data,
                           f"peak {peak} bytes for a {len(data)}-byte input")
                    outcome = "allocation"
            elif args.alloc_guard == "rss":
                grown = _max_rss() - baseline
                if grown > bound:  # then a new worker: the peak of this one is spent
                    report("allocation", index, name, data,
                           f"peak RSS grew {grown} bytes for a {len(data)}-byte input")
                    sys.stdout.write(f"{index} allocation\n")
                    position = index + 1
                    return 3
            # every outcome at once: a crash of the next input loses none
            sys.stdout.write(f"{index} {outcome}\n")
            position = index + 1
    finally:
        emit({"done": position, "end": True})
        shutil.rmtree(work, ignore_errors=True)
    return 0


# ---------------------------------------------------------------------------- parent
def run_target(name: str, args: argparse.Namespace, deadline: float,
               log: Callable[[str], None]) -> dict[str, Any]:
    """All inputs of one target (or as many as fit before ``deadline``), restarting the
    worker after a crash or a hang."""
    counter = Path(args.findings) / f".counter-{name}"
    counter.write_bytes(b"\0" * 8)
    outcomes: Counter[str] = Counter()
    crashes: list[dict[str, Any]] = []
    hangs: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    start_time = time.monotonic()
    index = 0
    restarts = 0
    done = 0
    while index < args.inputs and time.monotonic() < deadline:
        command = [sys.executable, os.path.abspath(__file__), "--worker", name,
                   "--start", str(index), "--stop", str(args.inputs), "--seed",
                   str(args.seed), "--timeout", str(args.timeout), "--counter", str(counter),
                   "--findings", args.findings, "--scratch", args.scratch,
                   "--memory-base", str(args.memory_base), "--memory-factor",
                   str(args.memory_factor), "--alloc-guard", args.alloc_guard]
        # -1 until the worker starts its first input: its start-up (imports, warm-up) may
        # take long on a busy machine and is no hang of an input
        with counter.open("r+b") as fh:
            fh.write(struct.pack("<q", -1))
        errors = tempfile.TemporaryFile()  # not a pipe: a chatty worker never blocks on it
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        selector = selectors.DefaultSelector()
        assert child.stdout is not None
        selector.register(child.stdout, selectors.EVENT_READ)
        shared = mmap.mmap(os.open(counter, os.O_RDONLY), 8, prot=mmap.PROT_READ)
        seen, seen_at = -1, time.monotonic()
        ended = False
        stopped = None
        buffer = b""
        while True:
            for _key, _ in selector.select(timeout=1.0):
                chunk = os.read(child.stdout.fileno(), 65536)
                if not chunk:
                    ended = True
                buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if not line.startswith(b"{"):  # "index outcome"
                    number, outcome = line.decode().split(" ", 1)
                    outcomes[outcome] += 1
                    done = int(number) + 1
                    continue
                record = json.loads(line)
                if "done" in record:
                    done = record["done"]
                else:
                    findings.append(record)
                    log(f"  {name}: {record['finding']} at input {record['index']}: "
                        f"{record['detail'][:200]}")
            if ended:
                break
            current = struct.unpack("<q", shared[:8])[0]
            now = time.monotonic()
            if current != seen:
                seen, seen_at = current, now
            elif now - seen_at > args.timeout * 3 + (10 if current >= 0 else 300):
                # stuck where SIGALRM cannot reach (a loop in C), or never started
                child.kill()
                stopped = "hang"
            if now > deadline and stopped is None:
                child.send_signal(signal.SIGTERM)
                stopped = "deadline"
        status = child.wait()
        child.stdout.close()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
        errors.close()
        current = struct.unpack("<q", shared[:8])[0]
        shared.close()
        if stopped == "deadline":
            break
        if status == 3 and stopped is None:  # an allocation finding: a fresh worker goes on
            index = done
            restarts += 1
            continue
        if status != 0 and current < 0:
            raise SystemExit(f"{name}: the worker failed before its first input (exit "
                             f"{status}):\n{stderr[-3000:]}")
        if status != 0:
            rng = input_rng(args.seed, name, current)
            with tempfile.TemporaryDirectory(dir=args.scratch) as scratch:
                seed_name, data = TARGET_CLASSES[name](Path(scratch)).make(rng)
            saved = Path(args.findings) / f"{name}-{stopped or 'crash'}-{current}.bin"
            saved.write_bytes(data)
            record = {"index": current, "status": status, "seed": seed_name,
                      "file": str(saved), "stderr": stderr[-3000:]}
            (hangs if stopped == "hang" else crashes).append(record)
            log(f"  {name}: {'HANG' if stopped == 'hang' else 'CRASH'} at input {current} "
                f"(exit {status}); input saved in {saved}\n{stderr[-2000:]}")
            outcomes["hang" if stopped == "hang" else "crash"] += 1
            index = current + 1
            done = index
            restarts += 1
            continue
        index = args.inputs
        done = args.inputs
    elapsed = time.monotonic() - start_time
    total = sum(outcomes.values())
    return {"target": name, "inputs": total, "planned": args.inputs, "seconds": elapsed,
            "rate": total / elapsed if elapsed else 0.0, "outcomes": dict(outcomes),
            "crashes": crashes, "hangs": hangs,
            "allocations": [f for f in findings if f["finding"] == "allocation"],
            "exceptions": [f for f in findings if f["finding"] == "exception"],
            "restarts": restarts}


EXPECTED = ("ok", "hang", "crash", "MemoryError", "allocation")


def table(results: list[dict[str, Any]]) -> str:
    """The figures of a campaign, a row per target."""
    rows = [("target", "inputs", "inputs/s", "loaded", "ValueError", "other exception",
             "allocation", "hang", "crash")]
    for r in results:
        o = r["outcomes"]
        refused = sum(v for k, v in o.items() if k.startswith("refused:"))
        other = sum(v for k, v in o.items() if not k.startswith("refused:")
                    and k not in EXPECTED)
        rows.append((r["target"], str(r["inputs"]), f"{r['rate']:.0f}", str(o.get("ok", 0)),
                     str(refused), str(other),
                     str(o.get("MemoryError", 0) + o.get("allocation", 0)),
                     str(o.get("hang", 0)), str(o.get("crash", 0))))
    total = sum(r["inputs"] for r in results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"total inputs: {total}")
    others: Counter[str] = Counter()
    for r in results:
        others.update({f"{r['target']}: {k}": v for k, v in r["outcomes"].items()
                       if not k.startswith("refused:") and k not in EXPECTED})
    if others:
        lines.append("other exceptions: " + ", ".join(f"{k} x{v}" for k, v in others.items()))
    return "\n".join(lines)


def replay(spec: str, args: argparse.Namespace) -> int:
    """Write input ``target:index`` to the current folder and run it here, showing what
    it raises."""
    name, index = spec.split(":")
    work = Path(tempfile.mkdtemp(prefix="w2v-fuzz-replay-"))
    target = TARGET_CLASSES[name](work)
    rng = input_rng(args.seed, name, int(index))
    seed_name, data = target.make(rng)
    out = Path(f"{name}-{index}.bin")
    out.write_bytes(data)
    print(f"{name} input {index} (from seed {seed_name}, {len(data)} bytes) -> {out}")
    target.run(seed_name, data, rng)
    print("loaded without error")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=1000, help="inputs per target")
    parser.add_argument("--time-limit", type=float, default=None,
                        help="seconds for the whole campaign, split evenly over the targets")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per input")
    parser.add_argument("--memory-base", type=float, default=48.0,
                        help="MB any load may take (the readers' blocks)")
    parser.add_argument("--memory-factor", type=float, default=64.0,
                        help="and this many bytes per byte of the input")
    parser.add_argument("--alloc-guard", choices=("rss", "tracemalloc", "none"), default="rss",
                        help="rss (default): the worker's peak RSS against the bound, and an "
                             "address-space limit (under ASan its max_allocation_size_mb); "
                             "tracemalloc: exact but 5 times slower")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--findings", default=None, help="folder for the inputs found")
    parser.add_argument("--scratch", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    parser.add_argument("--replay", metavar="TARGET:INDEX")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--counter", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args)
    if args.replay:
        return replay(args.replay, args)
    targets = [t for t in args.targets.split(",") if t]
    unknown = set(targets) - set(TARGET_CLASSES)
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; known: {TARGETS}")
    args.findings = args.findings or tempfile.mkdtemp(prefix="w2v-fuzz-findings-")
    Path(args.findings).mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        print(text, flush=True)

    started = time.time()
    log(f"fuzz campaign: {len(targets)} targets x {args.inputs} inputs, seed {args.seed}, "
        f"timeout {args.timeout}s/input, findings in {args.findings}")
    try:
        import w2v._core as core
        import w2v._scan as scan

        log(f"w2v compiled modules: {core.__file__}, {scan.__file__}")
    except ImportError as error:
        log(f"w2v's compiled modules do not import: {error}")
    results = []
    for position, name in enumerate(targets):
        if args.time_limit is not None:
            left = started + args.time_limit - time.time()
            deadline = time.monotonic() + left / (len(targets) - position)
        else:
            deadline = float("inf")
        log(f"{name}: ...")
        result = run_target(name, args, deadline, log)
        results.append(result)
        log(f"{name}: {result['inputs']} inputs in {result['seconds']:.0f}s "
            f"({result['rate']:.0f}/s), outcomes {result['outcomes']}")
    log(table(results))
    summary = {"targets": results, "total_inputs": sum(r["inputs"] for r in results),
               "crashes": sum(len(r["crashes"]) for r in results),
               "hangs": sum(r["outcomes"].get("hang", 0) for r in results),
               "allocations": sum(r["outcomes"].get("allocation", 0)
                                  + r["outcomes"].get("MemoryError", 0) for r in results),
               "seconds": time.time() - started, "seed": args.seed,
               "inputs_per_target": args.inputs, "timeout": args.timeout,
               "memory_bound": f"{args.memory_base} MB + {args.memory_factor} x input size",
               "command": sys.argv, "sanitizers": os.environ.get("LD_PRELOAD", "")}
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1) + "\n")
    findings = summary["crashes"] + summary["hangs"] + summary["allocations"]
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
