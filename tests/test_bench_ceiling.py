"""machine_ceiling: the pure-arithmetic loop that bench_scaling.py and bench_train.py time
beside the kernel (issue 21's scaling target is read against what the machine gives)."""

import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
if not (BENCH / "machine_ceiling.c").exists():  # the suite copied out of the tree (wheels)
    pytest.skip("benchmarks/ is not beside the tests", allow_module_level=True)
if not (shutil.which("cc") or shutil.which("gcc")):
    pytest.skip("no C compiler", allow_module_level=True)
if platform.machine().lower() not in ("x86_64", "amd64"):
    pytest.skip("the loops are x86-64 code (AVX-512, AVX2)", allow_module_level=True)
sys.path.insert(0, str(BENCH))
import machine_ceiling  # noqa: E402


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    return machine_ceiling.build(str(tmp_path_factory.mktemp("ceiling")))


def test_more_steps_take_longer_and_every_thread_does_its_own(program):
    # the scalar chain runs on every x86-64 CPU; its time grows with the steps
    short = min(machine_ceiling.seconds(program, "scalar", 1, 2_000_000) for _ in range(3))
    long = min(machine_ceiling.seconds(program, "scalar", 1, 40_000_000) for _ in range(3))
    assert 0 < short < long
    # two threads each do the whole count (not half each, which would take about half
    # the time): as long as one thread's run, give or take these machines' noise
    two = machine_ceiling.seconds(program, "scalar", 2, 40_000_000)
    assert two >= 0.75 * long


def test_the_widest_vector_loop_is_chosen_and_timed(program):
    with machine_ceiling.Ceiling(threads=2, target_s=0.02) as ceiling:
        ratio = ceiling.time()
        assert ceiling.kind in ("fma512", "fma256")
        if machine_ceiling.seconds(program, "fma512", 1, 1) is not None:
            assert ceiling.kind == "fma512"
        assert ratio == pytest.approx(2 * ceiling.one[0] / ceiling.many[0])
        summary = ceiling.summary()
        assert summary["scaling"] == pytest.approx(ratio)
        assert ceiling.rows()[1][1] == f"{ratio:.3f}x"


@pytest.mark.parametrize("args", [["fma1024", "1", "10"], ["scalar", "0", "10"],
                                  ["scalar", "65", "10"], ["scalar", "1", "0"]])
def test_bad_arguments_are_refused_by_name(program, args):
    done = subprocess.run([program, *args], capture_output=True, text=True)
    assert done.returncode == 2
    assert "bad arguments" in done.stderr
    with pytest.raises(machine_ceiling.CeilingError, match="failed: bad arguments"):
        machine_ceiling.seconds(program, *args[:1], int(args[1]), int(args[2]))


def test_scaling_is_threads_times_one_over_many():
    assert machine_ceiling.scaling(1.0, 1.0) == 2.0
    assert machine_ceiling.scaling(1.0, 2.0, threads=4) == 2.0
    with pytest.raises(ValueError, match="positive"):
        machine_ceiling.scaling(0.0, 1.0)
