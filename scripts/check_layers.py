"""The stages of govstats as layers: no module imports a stage above its own, and
no modules import each other in a cycle.

Run by ``make lint`` (and by tests/test_layers.py). Every import counts: at the top
of a module, inside a function (where the CLI defers its heavy imports) and under
``TYPE_CHECKING``; cycles are looked for among the imports that run (those under
``TYPE_CHECKING`` never do).

The layers, from the top: the package's entry points, the command line, the library
API, the audit, the compile's pipeline, publishing, aggregation, checking, reading,
the formats, and the core; the intake site (``serve``) sits between the command
line, which starts it, and the library API, which it calls. A module may import its own stage and any stage below it;
modules named together as one layer (``actions`` and ``synthetic``) are independent
of each other.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "govstats"

# Top first. Each entry is one layer; a layer of several names holds independent
# siblings (none may import another).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__",),
    ("cli",),
    ("serve",),
    ("actions", "synthetic"),
    ("audit",),
    ("pipeline",),
    ("publish",),
    ("aggregate",),
    ("check",),
    ("read",),
    ("formats",),
    ("core",),
)


@dataclass(frozen=True)
class Import:
    """One import of a govstats module by another."""

    importer: str
    imported: str
    line: int
    runtime: bool  # False under ``if TYPE_CHECKING:``


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                inside.update(id(n) for n in ast.walk(sub))
    return inside


def imports(root: Path) -> Iterator[Import]:
    """Every import of a module of the package by another, wherever it stands."""
    modules = {module_name(root, p): p for p in (root / PACKAGE).rglob("*.py")}
    for name, path in sorted(modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        typing_only = _type_checking_nodes(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    here = name.split(".") if is_package else name.split(".")[:-1]
                    here = here[: len(here) - node.level + 1]
                    base = ".".join([*here, *([base] if base else [])])
                targets = [f"{base}.{a.name}" for a in node.names]
            resolved = []
            for target in targets:
                # the module itself, or the one that defines the name imported
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target not in resolved:
                    resolved.append(target)
            for target in resolved:
                if target != name and target != PACKAGE:
                    yield Import(name, target, node.lineno, id(node) not in typing_only)


def stage(module: str) -> str:
    """``govstats.read.excel`` → ``read``; ``govstats`` itself → ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(name: str) -> int | None:
    for i, layer in enumerate(LAYERS):
        if name in layer:
            return i
    return None


def layer_violations(found: Iterable[Import]) -> list[str]:
    out = []
    for imp in found:
        a, b = stage(imp.importer), stage(imp.imported)
        if a == b or not a:
            continue
        ra, rb = _rank(a), _rank(b)
        if ra is None or rb is None:
            missing = a if ra is None else b
            out.append(f"{imp.importer}:{imp.line}: stage {missing!r} is in no layer")
        elif rb < ra:
            out.append(
                f"{imp.importer}:{imp.line}: imports {imp.imported}, "
                f"a stage above its own ({b} is above {a})"
            )
        elif ra == rb:
            out.append(
                f"{imp.importer}:{imp.line}: imports {imp.imported}; "
                f"{a} and {b} are independent stages of one layer"
            )
    return out


def cycles(found: Iterable[Import]) -> list[list[str]]:
    """The import cycles among modules (imports that run only), each once."""
    graph: dict[str, set[str]] = {}
    for imp in found:
        if imp.runtime:
            graph.setdefault(imp.importer, set()).add(imp.imported)
    # Tarjan's strongly connected components: a component of more than one module
    # is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def problems(root: Path) -> list[str]:
    """Every layer violation and cycle under ``root`` (the folder holding the package)."""
    found = list(imports(root))
    out = layer_violations(found)
    out += ["import cycle: " + " → ".join(c) for c in cycles(found)]
    return out


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "src"
    found = problems(root)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(
            f"{len(found)} layer problem(s); see scripts/check_layers.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
