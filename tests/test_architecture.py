"""The package's structure: no import cycles (imports inside functions included), and no
module but ``model.py`` assigns a model's attributes."""

import ast
from pathlib import Path

import w2v

PACKAGE = Path(w2v.__file__).resolve().parent
#: What a Word2Vec holds; only model.py may assign these on another object than ``self``.
MODEL_ATTRIBUTES = {"vocab", "wv", "syn1neg", "syn1", "params", "history", "vocab_updates",
                    "loss_history", "examples_history", "epochs_trained", "training_seconds",
                    "progress_history", "callbacks", "progress", "_corpus", "_corpus_words",
                    "_kernel", "_tree", "_stop"}


def import_graph(package: Path, name: str) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its body (in functions too)."""
    graph = {}
    for path in package.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                deps.update([node.module.split(".")[0]] if node.module
                            else [alias.name for alias in node.names])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(name + "."):
                deps.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                deps.update(a.name.split(".")[1] for a in node.names
                            if a.name.startswith(name + "."))
        graph[path.stem] = deps - {path.stem}
    return graph


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


def test_no_import_cycles_even_through_function_level_imports():
    graph = import_graph(PACKAGE, "w2v")
    assert {"model", "checkpoint", "model_files", "keyedvectors"} <= graph.keys()
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_check_finds_a_planted_cycle_inside_a_function(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "low.py").write_text("def f():\n    from .high import g\n    return g\n")
    (package / "high.py").write_text("from . import low\n\ndef g():\n    return low\n")
    (package / "other.py").write_text("from pkg.low import f\n")
    graph = import_graph(package, "pkg")
    assert graph["other"] == {"low"}
    assert find_cycle(graph) in (["high", "low", "high"], ["low", "high", "low"])


def test_only_the_model_assigns_a_models_attributes():
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.name == "model.py":
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
