"""Build script for the compiled extensions: the training core ``w2v._core`` and the
corpus tokenizer ``w2v._scan``.

Everything declarative lives in pyproject.toml; this file only describes the
Cython extensions, because their compiler flags depend on the compiler.
"""

import os
import sys

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup

# Portable optimisation only: no -march=native in a build that is distributed. The
# AVX2 and AVX-512 paths are compiled per function and chosen at run time (_vecops.h).
if sys.platform == "win32":
    COMPILE_ARGS = ["/O2"]
else:
    COMPILE_ARGS = ["-O3", "-fno-math-errno"]
    # No debug information in what we ship (it makes the wheel five times larger);
    # W2V_DEBUG_SYMBOLS=1 keeps Python's -g, e.g. for a sanitizer or debugger build.
    if not os.environ.get("W2V_DEBUG_SYMBOLS"):
        COMPILE_ARGS.append("-g0")


def extension(name: str) -> Extension:
    """``w2v.<name>`` from ``src/w2v/<name>.pyx``, with the shared portable flags."""
    return Extension(
        f"w2v.{name}",
        sources=[f"src/w2v/{name}.pyx"],
        include_dirs=[np.get_include(), "src/w2v"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=COMPILE_ARGS,
    )


# The training kernels, and the tokenizer that counts and encodes path corpora.
EXTENSIONS = [extension("_core"), extension("_scan")]

setup(
    ext_modules=cythonize(
        EXTENSIONS,
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    )
)
