#!/usr/bin/env python3
"""Turn unpacked Debian documentation packages into a text8-style corpus.

Input: a directory holding one unpacked tree per package (``ROOT/<package>/usr/...``,
as ``dpkg-deb -x`` leaves it; ``build_docs_corpus.sh`` makes it). Output: one document per
line (a man page, an HTML page, an info node, a POD file, a book of the Bible, a fortune
file, ...), lowercase, words of the letters a-z only, single spaces.

Cleaning, for every kind of input:

* markup is parsed away (roff requests and escapes, HTML tags, reStructuredText markup,
  POD commands and formatting codes, info headers and menus, OSIS tags); code is dropped
  where the markup marks it (``<pre>``, roff ``.EX``/``.nf``/``.Vb`` blocks, reST literal
  blocks and code directives, POD verbatim paragraphs), and so are boilerplate sections
  (SYNOPSIS, SEE ALSO, AUTHORS, COPYRIGHT, COLOPHON, ...) and navigation (HTML nav
  bars, side bars, headers, footers, tables of contents);
* URLs and e-mail addresses are removed;
* accents are stripped (``naïve`` becomes ``naive``), then every character
  other than a-z, digits included, becomes a space (digits are dropped, not spelled out);
* documents with fewer than 50 words are dropped; exact duplicates (same cleaned text)
  are dropped; licence and copyright files are never read;
* a document longer than 5,000 words is written as several lines, cut at paragraph
  boundaries (a single paragraph longer than that is cut every 5,000 words).

Documents are written in the order of the SHA-1 of their cleaned text: a fixed,
machine-independent shuffle, so that no one kind of text comes last in training.
The output depends only on the unpacked packages' contents.

Standard library only.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import html
import html.parser
import lzma
import os
import re
import struct
import sys
import time
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import nullcontext

MIN_WORDS = 50
MAX_LINE_WORDS = 5000
# A document whose share of these common English words is below MIN_STOP_SHARE is not
# English prose: an index, a table of names, a list of links, or another language.
STOP_WORDS = frozenset(
    "the of and to a in is that for it as with be by this are or on not from an which can if"
    .split()
)
MIN_STOP_SHARE = 0.10

# --------------------------------------------------------------------------------------
# What to read from each package: (package, kind, include globs, exclude globs).
# Globs are matched against the path inside the package ("usr/share/..."): "*" matches
# within one path component, "**" across components.  Kinds are the cleaners below.
# --------------------------------------------------------------------------------------

MAN = ["usr/share/man/man*/*"]  # English pages only: translations live in man/<lang>/
INFO = ["usr/share/info/*.info*"]
README = ["usr/share/doc/*/README*", "usr/share/doc/*/NEWS*", "usr/share/doc/*/FAQ*"]

SOURCES: list[tuple[str, str, list[str], list[str]]] = [
    # --- man pages ---------------------------------------------------------------------
    ("manpages", "man", MAN, []),
    ("manpages-dev", "man", MAN, []),
    ("freebsd-manpages", "man", MAN, []),
    ("tcl8.6-doc", "man", MAN, []),
    ("libssl-doc", "man", MAN, []),
    ("openssl", "man", MAN, []),
    ("systemd", "man", MAN, []),
    ("cmake-data", "man", MAN, []),
    ("iproute2", "man", MAN, []),
    ("binutils-common", "man", MAN, []),
    ("util-linux", "man", MAN, []),
    ("dpkg", "man", MAN, []),
    ("dpkg-dev", "man", MAN, []),
    ("apt", "man", MAN, []),
    ("openssh-client", "man", MAN, []),
    ("procps", "man", MAN, []),
    ("e2fsprogs", "man", MAN, []),
    ("curl", "man", MAN, []),
    ("tmux", "man", MAN, []),
    ("ncurses-bin", "man", MAN, []),
    ("rsync", "man", MAN, []),
    ("less", "man", MAN, []),
    ("man-db", "man", MAN, []),
    ("zsh-common", "man", MAN, []),
    ("perl-doc", "man", ["usr/share/man/man3/*"], []),  # core modules; man1 = the pods
    ("perl-doc", "pod", ["usr/share/perl/*/pod/*.pod"],
     ["**/perlartistic.pod", "**/perlgpl.pod", "**/perltoc.pod", "**/perldelta.pod",
      "**/perl5*delta.pod"]),
    # --- info manuals (their man pages would repeat them) --------------------------------
    ("coreutils", "info", INFO, []),
    ("findutils", "info", INFO, []),
    ("grep", "info", INFO, []),
    ("sed", "info", INFO, []),
    ("diffutils", "info", INFO, []),
    ("gzip", "info", INFO, []),
    ("wget", "info", INFO, []),
    ("gnupg", "info", INFO, []),
    ("bash-doc", "info", INFO, []),
    ("autoconf-doc", "info", INFO, []),
    ("gnu-standards", "info", INFO, []),
    ("r-doc-info", "info", INFO, []),
    ("guile-3.0-doc", "info", ["usr/share/info/**.info*"], []),
    # --- HTML manuals --------------------------------------------------------------------
    ("postgresql-doc-15", "html", ["usr/share/doc/postgresql-doc-15/html/*.html"],
     ["**/bookindex.html", "**/legalnotice.html"]),
    ("python-django-doc", "html", ["usr/share/doc/python-django-doc/html/**.html"],
     ["**/genindex.html", "**/py-modindex.html", "**/search.html"]),
    ("sqlite3-doc", "html", ["usr/share/doc/sqlite3/**.html"],
     ["**/sitemap.html", "**/doc_*_crossref.html", "**/syntaxdiagrams.html",
      "**/requirements.html", "**/keyword_index.html", "**/doclist.html", "**/toc.html",
      "**/chronology.html", "**/docs.html"]),
    ("apache2-doc", "html", ["usr/share/doc/apache2-doc/manual/en/**.html"],
     ["**/sitemap.html", "**/quickreference.html"]),
    ("git-doc", "html", ["usr/share/doc/git-doc/**.html"], []),
    ("gettext-doc", "html", ["usr/share/doc/gettext/*.html"], []),
    ("flex-doc", "html", ["usr/share/doc/flex-doc/html/*.html"], []),
    ("harden-doc", "html", ["usr/share/doc/harden-doc/html/en-US/**.html"], []),
    ("debian-reference-en", "html", ["usr/share/debian-reference/*.en.html"], []),
    ("debian-faq", "html", ["usr/share/doc/debian/FAQ/*.en.html"], []),
    ("maint-guide", "html", ["usr/share/doc/maint-guide/html/*.en.html"], []),
    ("debian-history", "html", ["usr/share/doc/debian-history/docs/*.en.html"], []),
    # --- reStructuredText sources of Sphinx manuals --------------------------------------
    ("python3.11-doc", "rst", ["usr/share/doc/python3.11/html/_sources/**.rst.txt"],
     ["**/_sources/license.rst.txt"]),
    ("linux-doc-6.1", "rst",
     ["usr/share/doc/linux-doc-6.1/Documentation/**.rst*",
      "usr/share/doc/linux-doc-6.1/Documentation/**.txt*"],
     ["**/Documentation/translations/**", "**/Documentation/devicetree/**"]),
    ("debian-policy", "rst", ["usr/share/doc/debian-policy/policy.html/_sources/*.rst.txt"],
     []),
    ("debian-policy", "text", ["usr/share/doc/debian-policy/fhs/fhs-3.0.txt*",
                               "usr/share/doc/debian-policy/menu-policy.txt*",
                               "usr/share/doc/debian-policy/perl-policy.txt*",
                               "usr/share/doc/debian-policy/debconf_specification.txt*"],
     []),
    ("developers-reference", "rst", ["usr/share/developers-reference/_sources/*.rst.txt"],
     []),
    # --- books and other non-technical text ----------------------------------------------
    ("sword-text-web", "sword", ["usr/share/sword/modules/**"], []),
    ("sword-text-kjv", "sword", ["usr/share/sword/modules/**"], []),
    ("sword-comm-mhcc", "sword", ["usr/share/sword/modules/**"], []),
    ("sword-comm-tdavid", "sword", ["usr/share/sword/modules/**"], []),
    ("sword-comm-scofield", "sword", ["usr/share/sword/modules/**"], []),
    ("fortunes", "fortune", ["usr/share/games/fortunes/*"],
     ["**.dat", "**.u8", "**/ascii-art", "**/art"]),
    ("dict-devil", "dictd", ["usr/share/dictd/*.index"], []),
    ("dict-foldoc", "dictd", ["usr/share/dictd/*.index"], []),
    ("jargon-text", "text", ["usr/share/doc/jargon-text/jargon.txt*"], []),
]

# READMEs, NEWS and FAQs that the packages above ship in /usr/share/doc.
SOURCES += [(pkg, "text", README, ["**.htm*"]) for pkg in sorted({s[0] for s in SOURCES})]

# Never read: licences, copyright notices, change logs.
GLOBAL_EXCLUDE = re.compile(
    r"(^|/)(copyright|copying[^/]*|licen[cs]e[^/]*|gpl[^/]*|fdl[^/]*|gfdl[^/]*|"
    r"changelog[^/]*|changes[^/]*|news\.debian[^/]*)$"
    r"|\.(pdf|png|jpe?g|gif|svg|ico|epub|ps|dvi|js|css|db|inv|tar)(\.gz)?$",
    re.I,
)


def packages() -> list[str]:
    return sorted({s[0] for s in SOURCES})


# --------------------------------------------------------------------------------------
# Reading and word normalisation
# --------------------------------------------------------------------------------------


def read_bytes(path: str) -> bytes:
    if path.endswith(".gz") or path.endswith(".dz"):
        opener: Callable = gzip.open
    elif path.endswith(".xz"):
        opener = lzma.open
    elif path.endswith(".bz2"):
        opener = bz2.open
    else:
        opener = open
    with opener(path, "rb") as fh:
        return fh.read()


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_text(path: str) -> str:
    return decode(read_bytes(path))


URL_RE = re.compile(
    r"(?:\b(?:https?|ftp|file|mailto|git|svn|rsync)://|\bwww\.)[^\s<>\"'`)\]]*"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
)
COMBINING_RE = re.compile(r"[\u0300-\u036f]+")
NONLETTER_RE = re.compile(r"[^a-z]+")


def normalise(text: str) -> str:
    """Lowercase a-z words separated by single spaces."""
    text = URL_RE.sub(" ", text).lower()
    if not text.isascii():
        text = COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    return NONLETTER_RE.sub(" ", text).strip()


# Paragraphs of licence text inside documents (checked on normalised text).
LICENCE_PARA_RE = re.compile(
    r"implied warranty of merchantability|redistribute it and or modify it|"
    r"permission is granted to copy distribute and or modify|permission is hereby granted|"
    r"redistribution and use in source and binary forms|this program is free software|"
    r"licensed under the apache license|all rights reserved|gnu free documentation license"
)


def split_blank(text: str) -> list[str]:
    """Paragraphs of plain text: blocks separated by blank lines."""
    return re.split(r"\n[ \t\r\f\v]*\n", text)


# --------------------------------------------------------------------------------------
# roff (man pages: man and mdoc macros, pod2man output)
# --------------------------------------------------------------------------------------

ROFF_ESCAPE_RE = re.compile(
    r"""\\(?:
        (?P<zero>
            [fF](?:\[[^\]]*\]|\(..|.)              # font
          | s[+-]?(?:\d+|\(..|\[[^\]]*\]|'[^']*')  # size
          | [nkgzYVmM][+-]?(?:\[[^\]]*\]|\(..|.)   # registers, colours
          | [hvwoblLDxXZRSNCAu]'[^']*'             # functions with quoted arguments
          | \$(?:\d|\*|@)                          # macro arguments
          | [&%|^:c,/)}{!?]                        # zero-width
          | $
        )
      | \*(?:\[[^\]]*\]|\(..|.)                    # strings (quotes, "C++"): a space
      | \(..                                       # special characters: a space
      | \[[^\]]*\]
      | .
    )""",
    re.X | re.M,
)

# Macros whose arguments are text (man and mdoc); other requests are dropped.
ROFF_TEXT_MACROS = set(
    """SH SS B I BR RB IR RI BI IB SM SB IP TP TQ HP OP SY YS
    Nm Nd Sh Ss Fn Fa Ft Fl Ar Xr Pa Dv Va Vt Er Ev Cm Ic Li Em Sy Dq Sq Qq Ql Pq Op
    It D1 An Aq Bq Brq Cd Tn No Ns Pf Sx Ux Bx Fx Nx Ox At Bsx St Fo Lk Mt Ms Ot
    Oo Oc Xo Xc Do Dc So Sc Qo Qc Po Pc Bo Bc Eo Ec Ta Hf Ad Lb Nx Ud Dx QW PQ QR UL""".split()
)
# mdoc macro names that appear as words inside macro lines ("Op Fl v Ar file").
MDOC_CALLABLE_RE = re.compile(
    r"(?<!\S)(?:Ac|Ad|An|Ao|Ap|Aq|Ar|At|Bc|Bo|Bq|Brc|Bro|Brq|Bsx|Bx|Cd|Cm|Dc|Do|Dq|Dv|"
    r"Dx|Ec|Em|En|Eo|Er|Ev|Fa|Fc|Fl|Fn|Fo|Fr|Ft|Fx|Ic|In|Lb|Li|Lk|Ms|Mt|Nm|No|Ns|Nx|"
    r"Oc|Oo|Op|Ot|Ox|Pa|Pc|Pf|Po|Pq|Qc|Ql|Qo|Qq|Sc|Sm|So|Sq|St|Sx|Sy|Ta|Tn|Ux|Va|Vt|"
    r"Xc|Xo|Xr)(?!\S)"
)
ROFF_PARA_MACROS = set("SH SS PP LP P TP IP HP TQ Sh Ss Pp Lp It Bl El sp br Sp Ip".split())
ROFF_SKIP_BLOCKS = {"EX": "EE", "Vb": "Ve", "nf": "fi", "TS": "TE", "EQ": "EN", "CS": "CE",
                    "PS": "PE", "de": "..", "am": "..", "ig": "..", "Bd": "Ed"}
# Sections that are code, lists of names, or legal and project boilerplate.
SKIP_SECTIONS = {
    "SYNOPSIS", "SEE ALSO", "AUTHOR", "AUTHORS", "COPYRIGHT", "COPYRIGHT AND LICENSE",
    "LICENSE", "LICENCE", "COLOPHON", "REPORTING BUGS", "AVAILABILITY", "HISTORY OF THIS PAGE",
    "MAINTAINER", "MAINTAINERS", "ACKNOWLEDGEMENTS", "ACKNOWLEDGMENTS", "CREDITS",
    "COPYRIGHT NOTICE", "LICENSING", "CONTRIBUTORS", "THANKS", "ATTRIBUTES",
}


def roff_text(s: str) -> str:
    def repl(m: re.Match) -> str:
        return "" if m.group("zero") is not None else " "

    return ROFF_ESCAPE_RE.sub(repl, s)


def clean_man(path: str) -> list[str]:
    text = read_text(path)
    paras: list[str] = []
    cur: list[str] = []
    skip_until: str | None = None
    skip_section = False

    def flush() -> None:
        if cur:
            paras.append(" ".join(cur))
            cur.clear()

    for line in text.split("\n"):
        if skip_until is not None:
            stripped = line.strip()
            if skip_until == "..":
                if stripped[:1] == "." and stripped[1:].strip() == ".":  # ".." or ".  ."
                    skip_until = None
                continue
            name = stripped[1:].strip().split(" ")[0] if stripped[:1] in (".", "'") else ""
            if name == skip_until:
                skip_until = None
                continue
            if name not in ("SH", "SS", "Sh", "Ss"):
                continue
            skip_until = None  # a heading ends a code block left open (".nf" with no ".fi")
        if line.startswith((".", "'")):
            body = line[1:].lstrip()
            if body.startswith('\\"') or body.startswith("\\#") or not body:
                continue
            name, _, args = body.partition(" ")
            name = name.strip()
            if name in ROFF_SKIP_BLOCKS:
                if name == "Bd" and "-literal" not in args and "-unfilled" not in args:
                    continue  # a filled display: ordinary text
                skip_until = ROFF_SKIP_BLOCKS[name]
                continue
            if name in ("SH", "Sh"):
                flush()
                title = roff_text(args).replace('"', " ").strip()
                title = " ".join(title.upper().split())
                skip_section = title in SKIP_SECTIONS
                if not skip_section:
                    paras.append(title)
                continue
            if skip_section:
                continue
            if name in ROFF_PARA_MACROS:
                flush()
            if name in ROFF_TEXT_MACROS:
                args = roff_text(args).replace('"', " ")
                if name in ("IP", "TP", "HP"):
                    args = args.split(" ")[0] if name == "IP" else ""
                cur.append(MDOC_CALLABLE_RE.sub(" ", args))
            continue
        if skip_section:
            continue
        line = roff_text(line)
        if not line.strip():
            flush()
        else:
            cur.append(line)
    flush()
    return paras


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------

SKIP_TAGS = {"script", "style", "head", "pre", "nav", "header", "footer", "noscript",
             "svg", "math", "object", "iframe", "form", "select", "button", "textarea"}
BLOCK_TAGS = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
              "h6", "br", "tr", "table", "section", "article", "blockquote", "hr", "td",
              "th", "caption", "figure", "figcaption", "body", "main", "aside", "center"}
VOID_TAGS = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed",
             "param", "source", "track", "wbr"}
SKIP_CLASSES = set(
    """nav navheader navfooter navigation related sphinxsidebar sidebar footer header
    page-header path toplang bottomlang quickview toc docnav nosearch menu mainmenu submenu
    searchmenu searchbox breadcrumbs breadcrumb headerlink hd ft nav-panel navbar
    global-nav copyright highlight listingblock literalblock programlisting screen synopsis
    refsynopsisdiv section-toc fancy_toc fancy-toc1 fancy-toc2 tagline top
    legalnotice""".split()
)
SKIP_ROLES = {"navigation", "search", "banner", "contentinfo"}


class _HTMLText(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paras: list[str] = []
        self.cur: list[str] = []
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.lang = ""

    def _flush(self) -> None:
        if self.cur:
            self.paras.append("".join(self.cur))
            self.cur = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        if tag == "html":
            self.lang = next((v or "" for k, v in attrs if k in ("lang", "xml:lang")), "")
        if tag in VOID_TAGS:
            if tag in BLOCK_TAGS:
                self._flush()
            return
        skip = tag in SKIP_TAGS
        if not skip:
            for key, value in attrs:
                if value and key in ("class", "id") and SKIP_CLASSES.intersection(
                    value.split()
                ):
                    skip = True
                    break
                if key == "role" and value in SKIP_ROLES:
                    skip = True
                    break
        if skip:
            self._flush()
            self.skip_tag = tag
            self.skip_depth = 1
            return
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_tag is None and tag in BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag in BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skip_tag is None:
            self.cur.append(data)


def clean_html(path: str) -> list[str]:
    parser = _HTMLText()
    parser.feed(read_text(path))
    parser.close()
    parser._flush()
    if parser.lang and not parser.lang.lower().startswith("en"):
        return []  # a translation filed under an English name
    return parser.paras


# --------------------------------------------------------------------------------------
# reStructuredText (Sphinx sources, kernel documentation)
# --------------------------------------------------------------------------------------

RST_DIRECTIVE_RE = re.compile(r"^(\s*)\.\.\s+([\w:.-]+)::(.*)$")
RST_EXPLICIT_RE = re.compile(r"^(\s*)\.\.(\s|$)")
RST_ADORNMENT_RE = re.compile(r"^\s*([=\-`:'\"~^_*+#<>.])\1{2,}\s*$")
RST_TABLE_RULE_RE = re.compile(r"^\s*[+|][-=+:| ]+[+|]\s*$")
RST_ROLE_RE = re.compile(r":[\w.+-]+(?::[\w.+-]+)*:(?=`)")
RST_TARGET_RE = re.compile(r"<[^<>`]*>(?=`)")
RST_FIELD_RE = re.compile(r"^([ \t]*):[\w .()-]+:([ \t]|$)", re.M)
# Directives whose bodies are code, markup or lists of file names.
RST_DROP_DIRECTIVES = set(
    """code code-block sourcecode literalinclude highlight toctree image figure raw
    testcode testsetup testcleanup testoutput doctest productionlist kernel-doc
    kernel-feat kernel-abi kernel-include include index tabularcolumns graphviz
    csv-table math only ifconfig cssclass autosummary automodule autoclass autofunction
    parsed-literal c:macro c:function c:type c:struct c:member c:var c:enum c:enumerator
    c:union cpp:function cpp:class cpp:type opcode grammar-snippet peg-grammar
    literal-block code-cell jupyter-execute container-literal""".split()
)
# Directives whose argument is a title worth keeping.
RST_TITLE_DIRECTIVES = {"rubric", "topic", "admonition", "sidebar", "seealso", "note",
                        "warning", "tip", "important", "hint", "caution", "attention",
                        "danger", "error", "table", "list-table", "flat-table"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def clean_rst_text(text: str) -> list[str]:
    lines = text.expandtabs(8).split("\n")
    out: list[str] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            out.append("")
            i += 1
            continue
        m = RST_DIRECTIVE_RE.match(line)
        if m or RST_EXPLICIT_RE.match(line):
            base = _indent(line)
            name = m.group(2).lower() if m else ""
            drop_body = not m or name in RST_DROP_DIRECTIVES
            if m and name in RST_TITLE_DIRECTIVES:
                out.append(m.group(3))
            out.append("")
            i += 1
            # The block: following lines indented deeper than the directive, or blank.
            while i < n and (not lines[i].strip() or _indent(lines[i]) > base):
                if drop_body:
                    pass
                elif RST_FIELD_RE.match(lines[i]) and not out[-1].strip():
                    pass  # a directive option such as ":maxdepth: 2"
                else:
                    out.append(lines[i])
                i += 1
            continue
        if stripped.startswith(">>>"):
            while i < n and lines[i].strip():
                i += 1
            continue
        if RST_ADORNMENT_RE.match(line) or RST_TABLE_RULE_RE.match(line):
            i += 1
            continue
        if stripped.endswith("::"):
            # A literal block follows: drop it (it is code, shell or output).
            base = _indent(line)
            if stripped != "::":
                out.append(line.rstrip()[:-1])
            i += 1
            while i < n and (not lines[i].strip() or _indent(lines[i]) > base):
                i += 1
            out.append("")
            continue
        out.append(line)
        i += 1
    body = "\n".join(out)
    body = RST_ROLE_RE.sub("", body)
    body = RST_TARGET_RE.sub("", body)
    body = RST_FIELD_RE.sub(r"\1 ", body)
    return split_blank(body)


def clean_rst(path: str) -> list[str]:
    return clean_rst_text(read_text(path))


def clean_text(path: str) -> list[str]:
    return split_blank(read_text(path))


# --------------------------------------------------------------------------------------
# POD
# --------------------------------------------------------------------------------------

POD_INDEX_RE = re.compile(r"[XZ]<+[^<>]*>+")
POD_ESCAPE_RE = re.compile(r"E<[^<>]*>")
POD_LINK_RE = re.compile(r"L<+\s*([^|<>]*)\|[^<>]*>+")
POD_CODE_RE = re.compile(r"\b[BCFILS]<+ ?")
POD_COMMAND_RE = re.compile(r"=(\w+)\s*(.*)", re.S)


def clean_pod(path: str) -> list[str]:
    paras: list[str] = []
    in_begin = False
    skip_section = False
    in_pod = True
    for block in split_blank(read_text(path)):
        if not block.strip():
            continue
        m = POD_COMMAND_RE.match(block)
        if m:
            cmd, rest = m.group(1), m.group(2)
            if cmd == "cut":
                in_pod = False
            else:
                in_pod = True
            if cmd == "begin":
                in_begin = True
            elif cmd == "end":
                in_begin = False
            elif in_begin or cmd in ("for", "over", "back", "pod", "cut", "encoding"):
                pass
            elif cmd.startswith("head"):
                title = " ".join(POD_CODE_RE.sub("", rest).replace(">", " ").split())
                if cmd == "head1":
                    skip_section = title.upper() in SKIP_SECTIONS
                if not skip_section:
                    paras.append(rest)
            elif cmd == "item" and not skip_section:
                paras.append(rest)
            continue
        if not in_pod or in_begin or skip_section or block[0] in " \t":
            continue  # code, or a verbatim paragraph
        paras.append(block)
    out = []
    for p in paras:
        p = POD_INDEX_RE.sub(" ", p)
        p = POD_ESCAPE_RE.sub(" ", p)
        p = POD_LINK_RE.sub(r" \1 ", p)
        out.append(POD_CODE_RE.sub(" ", p))
    return out


# --------------------------------------------------------------------------------------
# GNU info: one document per node
# --------------------------------------------------------------------------------------

INFO_MENU_RE = re.compile(r"^\* (?:Menu:|.*::|[^:]*:\s*\(?[\w .-]+\)?[\w .-]*\.)", re.M)
INFO_SKIP_NODE_RE = re.compile(
    r"licen[cs]e|copying|copyright|index$|concept index|function index", re.I
)


def clean_info(path: str) -> Iterator[tuple[str, list[str]]]:
    text = read_text(path)
    for chunk in text.split("\x1f"):
        chunk = chunk.lstrip("\n")
        if not chunk.startswith("File:"):
            continue  # tag tables, indirect tables, the preamble
        header, _, body = chunk.partition("\n")
        m = re.search(r"Node:\s*([^,\t]+)", header)
        node = m.group(1).strip() if m else ""
        if INFO_SKIP_NODE_RE.search(node):
            continue
        body = INFO_MENU_RE.sub(" ", body)
        yield f"#{node}", split_blank(body)


# --------------------------------------------------------------------------------------
# SWORD modules (zText / zCom / zCom4): one document per compressed block (a book of the
# Bible, or a chapter), one paragraph per verse entry.
# --------------------------------------------------------------------------------------

OSIS_NOTE_RE = re.compile(r"<note\b[^>]*>.*?</note>", re.S)
OSIS_REF_RE = re.compile(r"<(reference|scripRef)\b[^>]*>([^<]*)</\1>", re.S)
TAG_RE = re.compile(r"<[^>]*>")


def _osis_text(raw: str) -> str:
    raw = OSIS_NOTE_RE.sub(" ", raw)
    # Scripture references ("Ge 1:1") are dropped; references that are prose are kept.
    raw = OSIS_REF_RE.sub(lambda m: " " if re.search(r"\d", m.group(2)) else m.group(2), raw)
    return html.unescape(TAG_RE.sub(" ", raw))


def read_sword_module(moddir: str) -> Iterator[tuple[str, list[str]]]:
    names = sorted(os.listdir(moddir))
    for testament in ("ot", "nt"):
        found = [f for f in names if f.startswith(testament + ".") and f.endswith("s")]
        if not found:
            continue
        stem = found[0][:-1]  # "ot.bz" or "ot.cz"
        idx_file = os.path.join(moddir, stem + "s")
        data_file = os.path.join(moddir, stem + "z")
        verse_file = os.path.join(moddir, stem + "v")
        with open(idx_file, "rb") as fh:
            bs = fh.read()
        with open(data_file, "rb") as fh:
            bz = fh.read()
        with open(verse_file, "rb") as fh:
            bv = fh.read()
        blocks = []
        for off, size, _usize in struct.iter_unpack("<III", bs[: len(bs) // 12 * 12]):
            blocks.append(zlib.decompress(bz[off : off + size]) if size else b"")
        entries = _verse_entries(bv, blocks)
        by_block: dict[int, list[tuple[int, int]]] = {}
        for blk, start, size in sorted(entries):
            by_block.setdefault(blk, []).append((start, size))
        for blk in sorted(by_block):
            data = blocks[blk] if blk < len(blocks) else b""
            paras = [_osis_text(decode(data[s : s + z])) for s, z in by_block[blk]]
            yield f"#{testament}{blk:04d}", paras


def _verse_entries(bv: bytes, blocks: list[bytes]) -> set[tuple[int, int, int]]:
    """The distinct (block, start, size) entries of a verse index.

    Entries are 10 bytes (u32 block, u32 start, u16 size) or, in some zCom4/zText4
    modules, 12 bytes (u32 size); the .conf's ModDrv does not always tell, so take the
    layout under which every entry lies inside its block.
    """
    for entry, fmt in ((12, "<III"), (10, "<IIH")):
        if len(bv) % entry:
            continue
        recs = {r for r in struct.iter_unpack(fmt, bv) if r[2]}
        if all(b < len(blocks) and s + z <= len(blocks[b]) for b, s, z in recs):
            return recs
    raise ValueError("unrecognised SWORD verse index")


# --------------------------------------------------------------------------------------
# fortune files and dictd dictionaries: one document per file, one paragraph per entry
# --------------------------------------------------------------------------------------


def clean_fortune(path: str) -> list[str]:
    return re.split(r"^%$", read_text(path), flags=re.M)


B64 = {c: i for i, c in enumerate(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def _b64(s: str) -> int:
    v = 0
    for c in s:
        v = v * 64 + B64[c]
    return v


def clean_dictd(path: str) -> list[str]:
    data = read_bytes(path[: -len(".index")] + ".dict.dz")
    spans = set()
    for line in read_text(path).split("\n"):
        parts = line.split("\t")
        if len(parts) < 3 or parts[0].startswith("00database") or parts[0].startswith(
            "00-database"
        ):
            continue
        spans.add((_b64(parts[1]), _b64(parts[2])))
    return [decode(data[o : o + n]) for o, n in sorted(spans)]


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------

CLEANERS: dict[str, Callable[[str], list[str]]] = {
    "man": clean_man,
    "html": clean_html,
    "rst": clean_rst,
    "text": clean_text,
    "pod": clean_pod,
    "fortune": clean_fortune,
    "dictd": clean_dictd,
}


def glob_re(patterns: list[str]) -> re.Pattern[str]:
    """One regex for globs in which "*" stays within a path component and "**" does not."""
    alts = []
    for pat in patterns:
        parts = re.split(r"(\*\*|\*|\?)", pat)
        conv = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
        alts.append("".join(conv.get(x, re.escape(x)) for x in parts))
    return re.compile("(?:" + "|".join(alts) + r")\Z" if alts else r"(?!)")


def list_files(pkgroot: str, include: list[str], exclude: list[str]) -> list[str]:
    inc, exc = glob_re(include), glob_re(exclude)
    found = []
    for dirpath, dirnames, filenames in os.walk(pkgroot):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full):
                continue  # the file it points to is read under its own name
            rel = os.path.relpath(full, pkgroot)
            if GLOBAL_EXCLUDE.search(rel):
                continue
            if inc.match(rel) and not exc.match(rel):
                found.append(rel)
    return sorted(found)


def documents(root: str, log: Callable[[str], None]) -> Iterator[tuple[str, str, list[str]]]:
    """(source, document id, raw paragraphs) for every input document, in a fixed order."""
    for pkg, kind, include, exclude in SOURCES:
        pkgroot = os.path.join(root, pkg)
        if not os.path.isdir(pkgroot):
            raise SystemExit(f"clean_docs: {pkgroot} is missing (package not unpacked)")
        files = list_files(pkgroot, include, exclude)
        if kind == "sword":
            moddirs = sorted({os.path.dirname(os.path.join(pkgroot, f)) for f in files
                              if re.search(r"\.[bc]z[svz]$", f)})
            for moddir in moddirs:
                for docid, paras in read_sword_module(moddir):
                    yield pkg, os.path.relpath(moddir, pkgroot) + docid, paras
            continue
        if kind == "info":
            for rel in files:
                for docid, paras in clean_info(os.path.join(pkgroot, rel)):
                    yield pkg, rel + docid, paras
            continue
        cleaner = CLEANERS[kind]
        for rel in files:
            try:
                paras = cleaner(os.path.join(pkgroot, rel))
            except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
                log(f"  skipped {pkg}/{rel}: {exc}")
                continue
            yield pkg, rel, paras


def to_lines(paras: list[str]) -> list[str]:
    """Pack cleaned paragraphs into lines of at most MAX_LINE_WORDS words."""
    lines: list[str] = []
    cur: list[str] = []
    for p in paras:
        words = p.split(" ")
        while len(words) > MAX_LINE_WORDS:  # a single huge paragraph
            if cur:
                lines.append(" ".join(cur))
                cur = []
            lines.append(" ".join(words[:MAX_LINE_WORDS]))
            words = words[MAX_LINE_WORDS:]
        if cur and len(cur) + len(words) > MAX_LINE_WORDS:
            lines.append(" ".join(cur))
            cur = []
        cur.extend(words)
    if cur:
        lines.append(" ".join(cur))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", nargs="?", default="/tmp/corpora/docs.txt")
    ap.add_argument("--root", default="/tmp/corpora/work/root",
                    help="directory with one unpacked tree per package")
    ap.add_argument("--sources", metavar="PATH",
                    help="also write, for every output line, the package and file it came from")
    ap.add_argument("--list-packages", action="store_true",
                    help="print the Debian packages read, one a line, and exit")
    args = ap.parse_args(argv)
    if args.list_packages:
        print("\n".join(packages()))
        return 0

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    t0 = time.time()
    docs: dict[bytes, list[str]] = {}
    origin: dict[bytes, str] = {}
    per_source: Counter[str] = Counter()
    seen_docs = short = dups = not_prose = 0
    for pkg, docid, raw in documents(args.root, log):
        seen_docs += 1
        paras = [w for w in (normalise(p) for p in raw) if w and not LICENCE_PARA_RE.search(w)]
        nwords = sum(p.count(" ") + 1 for p in paras)
        if nwords < MIN_WORDS:
            short += 1
            continue
        nstop = sum(1 for p in paras for w in p.split(" ") if w in STOP_WORDS)
        if nstop < MIN_STOP_SHARE * nwords:
            not_prose += 1
            continue
        key = hashlib.sha1(" ".join(paras).encode()).digest()
        if key in docs:
            dups += 1
            continue
        docs[key] = to_lines(paras)
        origin[key] = f"{pkg}\t{docid}"
        per_source[pkg] += nwords
    log(f"read {seen_docs} documents in {time.time() - t0:.0f} s: kept {len(docs)}, "
        f"dropped {short} under {MIN_WORDS} words, {not_prose} not English prose "
        f"(common-word share under {MIN_STOP_SHARE:.0%}) and {dups} duplicates")

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    sha = hashlib.sha1()
    counts: Counter[str] = Counter()
    nlines = 0
    src_file = open(args.sources, "w", encoding="utf-8") if args.sources else nullcontext()
    with open(tmp, "w", encoding="ascii", newline="\n") as out, src_file as src:
        for key in sorted(docs):
            if src:
                src.write(f"{origin[key]}\n" * len(docs[key]))
            for line in docs[key]:
                data = line + "\n"
                out.write(data)
                sha.update(data.encode())
                counts.update(line.split(" "))
                nlines += 1
    os.replace(tmp, args.output)

    total = sum(per_source.values())
    log("words by package:")
    for pkg, n in per_source.most_common():
        log(f"  {pkg:24s} {n:>11,} {100 * n / total:5.1f}%")
    print(f"output: {args.output}")
    print(f"lines: {nlines}")
    print(f"words: {sum(counts.values())}")
    print(f"distinct words: {len(counts)}")
    print(f"distinct words with count >= 5: {sum(1 for c in counts.values() if c >= 5)}")
    print(f"sha1: {sha.hexdigest()}")
    log(f"done in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
