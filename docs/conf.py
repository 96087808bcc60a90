"""Sphinx configuration of w2v's documentation.

Build it with warnings as errors, as CI and Read the Docs do::

    pip install ".[docs]" && python -m sphinx -W -b html docs docs/_build/html

The API reference imports the installed package (its compiled core included), so install
w2v first. Nothing is downloaded while building (no intersphinx).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docstrings import split_project_fields  # noqa: E402  (docs/docstrings.py)

import w2v  # noqa: E402

project = "w2v"
author = "the w2v authors"
copyright = "the w2v authors"
version = release = w2v.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
exclude_patterns = ["_build"]

# --- API reference: autodoc reads the docstrings, napoleon their numpy-style sections.
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_preserve_defaults = True  # MAX_SENTENCE_LENGTH, not 10000, in signatures
# The optional extras are imported only inside the functions that need them, so the
# reference builds without them; mocking keeps it so if that ever changes.
autodoc_mock_imports = ["dask", "distributed", "fsspec", "matplotlib", "sklearn", "spacy",
                        "torch"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_param = False  # "a, b : text" stays one entry
napoleon_use_ivar = True  # "Attributes" as a field list: no second entry for properties
# The docstrings' "Returns" sections are sentences, not "type : description" pairs.
napoleon_custom_sections = ["Returns"]

# --- HTML
html_theme = "furo"
html_title = f"w2v {release}"


def setup(app: object) -> None:
    # before napoleon's own handler (priority 500): w2v's "name : description" entries
    app.connect("autodoc-process-docstring", split_project_fields, priority=400)
