"""The package's structure: layers that import only downward, no import cycles (imports
inside functions included), and no module but ``model.py`` assigning a model's attributes."""

import ast
from pathlib import Path

import pytest

import w2v

PACKAGE = Path(w2v.__file__).resolve().parent
#: Rank of each top-level part of the package: a module may import modules of lower rank,
#: and of its own rank only inside its own part (subpackage). The compiled core and the
#: version sit at the bottom; the facade (the model, ``load_vectors``, the modules kept for
#: the first layout's import paths) above training; the cluster and the command on top.
LAYERS = {"_version": 0, "_core": 0, "_scan": 0, "_util": 1, "data": 2, "io": 3,
          "vectors": 4, "train": 5, "model": 6, "loading": 6, "evaluate": 6, "plot": 6,
          "callbacks": 6, "distributed": 7, "integrations": 7, "compat": 7, "cli": 8,
          "__init__": 9, "__main__": 9}
#: What a Word2Vec holds; only model.py may assign these on another object than ``self``.
MODEL_ATTRIBUTES = {"vocab", "wv", "_wv", "syn1neg", "syn1", "params", "history", "vocab_updates",
                    "loss_history", "examples_history", "epochs_trained", "training_seconds",
                    "progress_history", "callbacks", "progress", "_corpus", "_corpus_words",
                    "_record", "_kernel", "_tree", "_stop"}


def import_graph(package: Path, name: str) -> dict[str, set[str]]:
    """Module (dotted, below ``name``) -> the package's modules it imports, anywhere in its
    body (in functions too). ``from .x import y`` counts ``x.y`` when that is a module."""
    modules = {".".join(p.relative_to(package).with_suffix("").parts): p
               for p in package.rglob("*.py")}
    # compiled modules: their sources in a source tree, only the binaries when installed
    modules.update({p.name.split(".")[0]: p for pattern in ("*.pyx", "*.so", "*.pyd")
                    for p in package.glob(pattern)})
    graph = {}
    for module, path in modules.items():
        if path.suffix != ".py":
            graph[module] = set()
            continue
        parts = module.split(".")
        here = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                    target = base + (node.module.split(".") if node.module else [])
                elif (node.module or "").split(".")[0] == name:
                    target = node.module.split(".")[1:]
                else:
                    continue
                for alias in node.names:  # a module imported by name, or a name of one
                    full = ".".join(target + [alias.name])
                    deps.add(full if full in modules or full + ".__init__" in modules
                             else ".".join(target))
            elif isinstance(node, ast.Import):
                deps.update(".".join(a.name.split(".")[1:]) for a in node.names
                            if a.name.split(".")[0] == name and "." in a.name)
        graph[module] = {_module_of(d, modules) for d in deps if d} - {module, None}
    return graph


def _module_of(dotted: str, modules: dict) -> str | None:
    if dotted in modules:
        return dotted
    if dotted + ".__init__" in modules:
        return dotted + ".__init__"
    return None


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (``[a, b, ..., a]``), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for dep in sorted(graph[module] & graph.keys()):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state and (cycle := visit(dep)):
                return cycle
        path.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module)):
            return cycle
    return None


def upward_imports(graph: dict[str, set[str]], layers: dict[str, int]) -> list[str]:
    """Imports that break the layering: to a higher rank, or to the same rank in another part."""
    wrong = []
    for module, deps in sorted(graph.items()):
        part = module.split(".")[0]
        for dep in sorted(deps):
            other = dep.split(".")[0]
            if layers[other] > layers[part] or (layers[other] == layers[part] and other != part):
                wrong.append(f"{module} -> {dep}")
    return wrong


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE, "w2v")


def test_every_module_has_a_layer(graph):
    parts = {module.split(".")[0] for module in graph}
    assert parts == set(LAYERS), parts ^ set(LAYERS)
    assert {"model", "train.checkpoint", "train.model_files", "vectors.keyedvectors",
            "data.corpus", "distributed.client", "cli.main"} <= graph.keys()


def test_imports_point_only_downward(graph):
    assert upward_imports(graph, LAYERS) == []


def test_no_import_cycles_even_through_function_level_imports(graph):
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def _planted(tmp_path, files: dict[str, str]) -> Path:
    package = tmp_path / "pkg"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_the_checks_find_a_planted_upward_import_and_cycle(tmp_path):
    package = _planted(tmp_path, {
        "__init__.py": "",
        "low/__init__.py": "from .base import f\n",
        "low/base.py": "def f():\n    from ..high.top import g  # upward, inside a function\n",
        "high/__init__.py": "",
        "high/top.py": "from pkg.low import base\n\ndef g():\n    return base\n",
    })
    graph = import_graph(package, "pkg")
    assert graph["low.base"] == {"high.top"} and graph["high.top"] == {"low.base"}
    layers = {"__init__": 2, "low": 0, "high": 1}
    assert upward_imports(graph, layers) == ["low.base -> high.top"]
    assert find_cycle(graph) in (["high.top", "low.base", "high.top"],
                                 ["low.base", "high.top", "low.base"])


def test_only_the_model_assigns_a_models_attributes():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "model.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = (node.targets if isinstance(node, ast.Assign) else
                       [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
            for target in targets:
                for part in ast.walk(target):
                    if (isinstance(part, ast.Attribute) and part.attr in MODEL_ATTRIBUTES
                            and not (isinstance(part.value, ast.Name)
                                     and part.value.id == "self")):
                        offenders.append(f"{path.name}:{part.lineno} {ast.unparse(part)}")
    assert offenders == []
