"""The type stubs of the compiled extensions (``_core.pyi``, ``_scan.pyi``) match them.

No type checker is needed: each ``.pyi`` is parsed with :mod:`ast` and compared with the
imported module it sits next to, so whatever is imported (the source tree or an installed
copy) is what gets checked:

* every public module-level name (``dir()`` minus underscore names and names imported
  from elsewhere, such as ``np``) is declared in the stub, as the same kind of thing
  (class, function, constant), and nothing is declared that the module lacks;
* constants declared with a literal value (``X: Final = 1``) have that value;
* each class has the same bases and the same public members (methods, properties,
  readonly attributes) in the stub as in its ``__dict__``;
* functions and methods whose runtime :func:`inspect.signature` is available (Cython 3
  binds it) have the same parameters in the stub: names, order, kinds, which have a
  default, and literal defaults' values (``self`` ignored);
* constructors of ``cdef class`` types, whose runtime signature is a generic
  ``(*args, **kwargs)``, are compared with the ``def __init__`` (or ``__cinit__``) in
  the ``.pyx`` source next to the module, or else (wheels leave the sources out) the one
  in this checkout's ``src/w2v``; skipped when neither exists.

How it fails: rename a parameter on either side (say ``min_count`` of
``CountScanner.counts`` in ``_scan.pyi``), drop a default, add a public function to a
``.pyx`` and rebuild without declaring it, or declare a method the module does not have;
the failure lists every difference. ``test_checker_catches_mismatches`` applies such
edits to the stub text and asserts that they are reported.
"""

import ast
import importlib
import inspect
import re
from pathlib import Path
from types import ModuleType

import pytest

MODULES = ("w2v._core", "w2v._scan")
SOURCE_PACKAGE = Path(__file__).resolve().parents[1] / "src" / "w2v"
P = inspect.Parameter


def _sibling(module: ModuleType, suffix: str) -> Path:
    path = Path(module.__file__)
    return path.with_name(module.__name__.rpartition(".")[2] + suffix)


def _load(name: str) -> tuple[ModuleType, Path, str]:
    """The imported module, its stub's path and the stub's text."""
    module = importlib.import_module(name)
    stub = _sibling(module, ".pyi")
    if not stub.is_file():  # a wheel or a checkout without its stubs ships untyped
        pytest.fail(f"{stub} is missing beside {Path(module.__file__).name}")
    return module, stub, stub.read_text(encoding="utf-8")


# --- what the stub declares --------------------------------------------------------------


def _declarations(body: list[ast.stmt]) -> dict[str, list[ast.stmt]]:
    """Names bound by a stub's module or class body, each with its statements."""
    found: dict[str, list[ast.stmt]] = {}
    for node in body:
        if isinstance(node, ast.If):  # e.g. sys.version_info branches: both count
            for name, nodes in _declarations(node.body + node.orelse).items():
                found.setdefault(name, []).extend(nodes)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.setdefault(node.target.id, []).append(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append(node)
    return found


def _decorators(node: ast.stmt) -> set[str]:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return set()
    return {ast.unparse(d).rpartition(".")[2].split("(")[0] for d in node.decorator_list}


def _stub_only(name: str, nodes: list[ast.stmt]) -> bool:
    """Dunders and private helpers that exist only for typing (TypeVars, aliases)."""
    if name.startswith("__") and name.endswith("__"):
        return True
    return name.startswith("_") and not any(
        isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) for n in nodes
    )


def _literal(node: ast.expr | None) -> tuple[bool, object]:
    """(True, value) for a literal expression, (False, None) for ``...`` or anything else."""
    if node is None or (isinstance(node, ast.Constant) and node.value is Ellipsis):
        return False, None
    try:
        return True, ast.literal_eval(node)
    except ValueError:
        return False, None


def _stub_params(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> list[tuple]:
    """(name, kind, has default, (is literal, value)) per parameter, ``self`` dropped."""
    args = node.args
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    params = [
        (a.arg, P.POSITIONAL_ONLY if i < len(args.posonlyargs) else P.POSITIONAL_OR_KEYWORD,
         d is not None, _literal(d))
        for i, (a, d) in enumerate(zip(positional, defaults, strict=True))
    ]
    if args.vararg:
        params.append((args.vararg.arg, P.VAR_POSITIONAL, False, (False, None)))
    for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append((a.arg, P.KEYWORD_ONLY, d is not None, _literal(d)))
    if args.kwarg:
        params.append((args.kwarg.arg, P.VAR_KEYWORD, False, (False, None)))
    if method and "staticmethod" not in _decorators(node):
        params = params[1:]
    return params


def _compare_params(
    where: str, stub: list[tuple], runtime: list[tuple], overload: bool = False
) -> list[str]:
    """Differences between stub parameters and the real ones (same tuple layout); an
    ``@overload`` may leave out a real default (e.g. to require an argument)."""
    names = [p[0] for p in stub]
    real_names = [p[0] for p in runtime]
    if names != real_names:
        return [f"{where}: parameters {names} in the stub, {real_names} at runtime"]
    problems = []
    for (name, kind, has_default, (literal, value)), (_, real_kind, real_has, real) in zip(
        stub, runtime, strict=True
    ):
        if kind != real_kind:
            problems.append(f"{where}: {name} is {kind.description} in the stub, "
                            f"{real_kind.description} at runtime")
        if has_default != real_has and not (overload and real_has):
            problems.append(f"{where}: {name} has {'a' if has_default else 'no'} default in "
                            f"the stub, {'a' if real_has else 'no'} default at runtime")
        elif literal and real[0] and (value != real[1] or type(value) is not type(real[1])):
            problems.append(f"{where}: {name} defaults to {value!r} in the stub, "
                            f"{real[1]!r} at runtime")
    return problems


def _runtime_params(func: object) -> list[tuple] | None:
    """Parameters as :func:`_stub_params` gives them, or None if no signature is bound."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    return [
        (p.name, p.kind, p.default is not P.empty,
         (p.default is not P.empty, None if p.default is P.empty else p.default))
        for p in params
    ]


def _check_function(where: str, func: object, nodes: list[ast.stmt], method: bool) -> list[str]:
    runtime = _runtime_params(func)
    if runtime is None:
        return []
    problems = []
    for node in nodes:  # every @overload must take the real parameters
        overload = "overload" in _decorators(node)
        problems += _compare_params(where, _stub_params(node, method), runtime, overload)
    return problems


# --- constructors, from the .pyx source ----------------------------------------------------


def _split_top(text: str) -> list[str]:
    """Split at commas outside brackets (``float[:, ::1] x`` is one parameter)."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += c in "([{"
        depth -= c in ")]}"
        if c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _up_to_close(text: str) -> str:
    """``text`` up to the parenthesis closing one opened just before it."""
    depth = 1
    for i, c in enumerate(text):
        depth += (c == "(") - (c == ")")
        if depth == 0:
            return text[:i]
    raise ValueError("unbalanced parentheses in the .pyx source")


def _pyx_params(source: str, class_name: str) -> list[tuple] | None:
    """Constructor parameters of ``cdef class class_name`` from its ``__init__`` (else
    ``__cinit__``) in the .pyx source, ``self`` dropped; None if it has neither."""
    body = re.search(rf"^cdef class {class_name}\b[^\n]*\n(.*?)(?=^\S|\Z)", source, re.S | re.M)
    assert body, f"no cdef class {class_name} in the .pyx source"
    for method in ("__init__", "__cinit__"):
        head = re.search(rf"^    def {method}\(", body.group(1), re.M)
        if head:
            break
    else:
        return None
    text = re.sub(r"#[^\n]*", "", _up_to_close(body.group(1)[head.end():]))
    params, kind = [], P.POSITIONAL_OR_KEYWORD
    for piece in _split_top(text)[1:]:
        declared, has_default, default = piece.partition("=")
        declared = re.sub(r"\s+(not|or)\s+None$", "", declared.strip())
        if declared == "*":
            kind = P.KEYWORD_ONLY
            continue
        stars, name = re.search(r"(\**)(\w+)$", declared).groups()
        if stars:
            kind = P.VAR_POSITIONAL if stars == "*" else P.VAR_KEYWORD
        params.append((name, kind, bool(has_default), _literal(ast.parse(default or "...",
                                                                         mode="eval").body)))
        if stars == "*":
            kind = P.KEYWORD_ONLY
    return params


def _check_constructors(module: ModuleType, tree: ast.Module, source: str) -> list[str]:
    declared = _declarations(tree.body)
    problems = []
    for class_name in re.findall(r"^cdef class (\w+)", source, re.M):
        if class_name.startswith("_") or class_name not in declared:
            continue  # private, or already reported as undeclared
        node = declared[class_name][0]
        real = _pyx_params(source, class_name)
        generic = real is None or [p[1] for p in real] == [P.VAR_POSITIONAL, P.VAR_KEYWORD]
        inits = _declarations(node.body).get("__init__", [])
        where = f"{module.__name__}.{class_name}.__init__"
        if not inits:
            if not generic:
                problems.append(f"{where}: not declared in the stub")
            continue
        if generic:  # e.g. Scanner: only its subclasses are constructed
            problems.append(f"{where}: declared in the stub, but the .pyx has no constructor")
            continue
        for init in inits:
            problems += _compare_params(where, _stub_params(init, method=True), real)
    return problems


# --- module and classes ------------------------------------------------------------------


def _public_names(module: ModuleType) -> dict[str, object]:
    """Public names defined by ``module`` itself (imported modules, classes and functions
    such as ``np`` are left out)."""
    names = {}
    for name in dir(module):
        value = getattr(module, name)
        if name.startswith("_") or inspect.ismodule(value):
            continue
        if (inspect.isclass(value) or callable(value)) and getattr(
            value, "__module__", module.__name__
        ) != module.__name__:
            continue
        names[name] = value
    return names


def _check_class(where: str, cls: type, node: ast.ClassDef) -> list[str]:
    problems = []
    bases = [ast.unparse(b).rpartition(".")[2] for b in node.bases] or ["object"]
    real_bases = [b.__name__ for b in cls.__bases__]
    if bases != real_bases:
        problems.append(f"{where}: bases {bases} in the stub, {real_bases} at runtime")
    members = _declarations(node.body)
    real = {name: value for name, value in vars(cls).items() if not name.startswith("_")}
    for name in sorted(real.keys() - members.keys()):
        problems.append(f"{where}.{name}: exists at runtime but is not declared in the stub")
    for name, nodes in sorted(members.items()):
        if _stub_only(name, nodes):
            continue
        if name not in real:
            problems.append(f"{where}.{name}: declared in the stub but {cls.__name__} "
                            "does not define it")
            continue
        value = real[name]
        is_attribute = inspect.isgetsetdescriptor(value) or inspect.ismemberdescriptor(value) \
            or isinstance(value, property)
        stub_attribute = all(
            isinstance(n, ast.AnnAssign) or "property" in _decorators(n) for n in nodes
        )
        if is_attribute != stub_attribute:
            problems.append(f"{where}.{name}: {'an attribute' if is_attribute else 'a method'} "
                            f"at runtime, not in the stub")
        elif not is_attribute:
            problems += _check_function(f"{where}.{name}", value, nodes, method=True)
    return problems


def stub_problems(module: ModuleType, stub_text: str, pyx_source: str | None) -> list[str]:
    """Every difference between ``module`` and the stub text (empty when they agree)."""
    tree = ast.parse(stub_text)
    declared = _declarations(tree.body)
    real = _public_names(module)
    mod = module.__name__
    problems = [
        f"{mod}.{name}: exists at runtime but is not declared in the stub"
        for name in sorted(real.keys() - declared.keys())
    ]
    for name, nodes in sorted(declared.items()):
        if name == "__all__":
            stub_all = _literal(nodes[-1].value)[1]
            if list(stub_all or []) != list(getattr(module, "__all__", [])):
                problems.append(f"{mod}.__all__: {stub_all} in the stub, "
                                f"{getattr(module, '__all__', None)} at runtime")
            continue
        if _stub_only(name, nodes):
            continue
        if not hasattr(module, name):
            problems.append(f"{mod}.{name}: declared in the stub but the module lacks it")
            continue
        value, node, where = getattr(module, name), nodes[0], f"{mod}.{name}"
        if inspect.isclass(value):
            if not isinstance(node, ast.ClassDef):
                problems.append(f"{where}: a class at runtime, not in the stub")
            else:
                problems += _check_class(where, value, node)
        elif callable(value):
            if not all(isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) for n in nodes):
                problems.append(f"{where}: a function at runtime, not in the stub")
            else:
                problems += _check_function(where, value, nodes, method=False)
        elif not isinstance(node, ast.AnnAssign | ast.Assign):
            problems.append(f"{where}: a constant at runtime, not in the stub")
        else:
            literal, stub_value = _literal(node.value)
            if literal and (stub_value != value or type(stub_value) is not type(value)):
                problems.append(f"{where}: {stub_value!r} in the stub, {value!r} at runtime")
    if pyx_source is not None:
        problems += _check_constructors(module, tree, pyx_source)
    return problems


# --- tests -------------------------------------------------------------------------------


def _pyx_source(module: ModuleType) -> str | None:
    """The module's .pyx source: next to it, else in this checkout's src/w2v, else None."""
    for pyx in (_sibling(module, ".pyx"), SOURCE_PACKAGE / _sibling(module, ".pyx").name):
        if pyx.is_file():
            return pyx.read_text(encoding="utf-8")
    return None


@pytest.mark.parametrize("name", MODULES)
def test_stub_matches_module(name: str) -> None:
    module, _, text = _load(name)
    assert stub_problems(module, text, None) == []


@pytest.mark.parametrize("name", MODULES)
def test_stub_constructors_match_pyx(name: str) -> None:
    module, _, text = _load(name)
    source = _pyx_source(module)
    if source is None:
        pytest.skip(f"no .pyx source for {name}: its constructors cannot be checked")
    assert _check_constructors(module, ast.parse(text), source) == []


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        ("w2v._scan", "into: None = None, min_count", "into: None = None, minimum",
         "CountScanner.counts: parameters ['into', 'minimum']"),
        ("w2v._scan", "max_vocab_size: int = -1", "max_vocab_size: int = 0",
         "CountScanner.__init__: max_vocab_size defaults to 0 in the stub, -1 at runtime"),
        ("w2v._scan", "INVALID_UTF8: Final = 1", "INVALID_UTF8: Final = 2",
         "INVALID_UTF8: 2 in the stub, 1 at runtime"),
        ("w2v._core", "        rng_state: int,", "        seed: int,",
         "Kernel.train_chunk: parameters"),
        ("w2v._scan", "self, max_len: int, key_to_index", "self, max_len: int, mapping",
         "EncodeScanner.__init__: parameters ['max_len', 'mapping'"),
        ("w2v._core", "def simd_path() ->", "def simd_name() ->",
         "simd_path: exists at runtime but is not declared"),
        ("w2v._core", "    def flush(", "    def flush_all(", "flush_all: declared in the stub"),
        ("w2v._core", "class HotCopies:", "class HotCopies(Kernel):", "HotCopies: bases"),
        ("w2v._core", "        *,\n        sg: int,", "        sg: int,\n        *,",
         "Kernel.__init__: sg is positional or keyword in the stub, keyword-only at runtime"),
    ],
)
def test_checker_catches_mismatches(name: str, old: str, new: str, expected: str) -> None:
    """The checks are not vacuous: a stub edited out of step with the module fails them."""
    module, _, text = _load(name)
    source = _pyx_source(module)
    if "__init__" in expected and source is None:
        pytest.skip(f"no .pyx source for {name}: its constructors cannot be checked")
    assert old in text, f"the stub no longer contains {old!r}: update this test"
    problems = stub_problems(module, text.replace(old, new, 1), source)
    assert any(expected in p for p in problems), problems
