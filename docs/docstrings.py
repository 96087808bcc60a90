"""How the documentation reads w2v's docstrings (used by ``conf.py``).

The docstrings follow numpy's layout with one difference that napoleon cannot see: a
parameter is usually written ``name : what it is.``, the text after the colon being a
description, not a type (``vector_size : dimensions of the word vectors.``). Napoleon would
print that sentence as the parameter's type, so before napoleon runs, such an entry is
split into the name and an indented description line. Entries whose text after the colon
reads as a type (``path : str or os.PathLike``, ``block_size : int, keyword-only``) are left
to napoleon as they are. An attribute entry naming several attributes (``words_done,
total_words : ...``) is given to each, since an attribute field holds one name. A sentence
after the entries that starts with "Returns" (``Returns ``[(word, cosine), ...]`` best
first.``) becomes a "Returns" section of its own; otherwise napoleon would read it as one
more parameter.
"""

from __future__ import annotations

import re
from typing import Any

#: Sections whose entries are ``name : ...`` lines.
FIELD_SECTIONS = {"parameters", "attributes", "other parameters"}
#: A type as the docstrings write one: names joined by ", " or " or ".
TYPE = re.compile(r"[A-Za-z_][\w.\[\]-]*(?:(?:, | or )[A-Za-z_][\w.\[\]-]*)*")
#: A line that only lists parameter names, continued on the next line.
NAME_LIST = re.compile(r"[A-Za-z_]\w*(?:, *[A-Za-z_]\w*)*,?")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _is_header(lines: list[str], i: int) -> bool:
    return (i + 1 < len(lines) and bool(lines[i].strip())
            and bool(re.fullmatch(r"-{3,}", lines[i + 1].strip()))
            and _indent(lines[i]) == _indent(lines[i + 1]))


def split_fields(lines: list[str]) -> list[str]:
    """The docstring's lines with every ``name : description`` entry of its parameter and
    attribute sections split into ``name`` and an indented description line.

    Example
    -------
    >>> split_fields(["Parameters", "----------", "window : largest distance.",
    ...               "path : str or os.PathLike", "    the file."])[2:]
    ['window', '    largest distance.', 'path : str or os.PathLike', '    the file.']
    >>> split_fields(["Attributes", "----------", "a, b : the counts", "    of words."])[2:]
    ['a', '    the counts', '    of words.', 'b', '    the counts', '    of words.']
    >>> split_fields(["Parameters", "----------", "topn : how many.", "", "Returns ``x``."])[-3:]
    ['Returns', '-------', '``x``.']
    """
    out: list[str] = []
    section: str | None = None
    indent = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_header(lines, i):
            section, indent = line.strip().lower(), _indent(line)
            out += [line, lines[i + 1]]
            i += 2
            continue
        entry = section in FIELD_SECTIONS and line.strip() and _indent(line) == indent
        if entry and " : " not in line and not line.rstrip().endswith(" :") \
                and NAME_LIST.fullmatch(line.strip()) and i + 1 < len(lines) \
                and _indent(lines[i + 1]) == indent and lines[i + 1].strip():
            # "a, b, c" continued by "d, e : ..." on the next line: one entry
            lines = [*lines[:i], f"{line.rstrip().rstrip(',')}, {lines[i + 1].strip()}",
                     *lines[i + 2:]]
            continue
        if entry and line.strip().startswith("Returns ") and i and not lines[i - 1].strip():
            rest = line.strip()[len("Returns "):]
            out += [" " * indent + "Returns", " " * indent + "-------", " " * indent + rest]
            section = "returns"
            i += 1
            continue
        if entry and " : " in line:
            name, text = line.split(" : ", 1)
            if not TYPE.fullmatch(text.strip()):
                end = i + 1
                while end < len(lines) and lines[end].strip() and _indent(lines[end]) > indent:
                    end += 1
                description = [" " * (indent + 4) + text.strip(), *lines[i + 1:end]]
                # an attribute field holds one name: "a, b : text" becomes two entries
                names = name.split(",") if section == "attributes" else [name]
                for one in names:
                    out += [" " * indent + one.strip(), *description]
                i = end
                continue
        out.append(line)
        i += 1
    return out


def split_project_fields(app: Any, what: str, name: str, obj: Any, options: Any,
                         lines: list[str]) -> None:
    """Sphinx's ``autodoc-process-docstring`` handler: :func:`split_fields` in place."""
    lines[:] = split_fields(lines)
