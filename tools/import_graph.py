"""The shape of the package: module sizes, the import graph's circles, imports of private names.

    python tools/import_graph.py [--json]

Reads ``spinscope/`` with ``ast`` (imports nothing). An edge is any import of one spinscope module
by another, at module level or inside a function; imports under ``if TYPE_CHECKING:`` are left
out (they never run). A circle is a strongly connected component of more than one module. A
private import is ``from x import _name`` of another module's underscored name.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "spinscope"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every spinscope import in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    is_pkg = path.name == "__init__.py"
    here = name.split(".") if is_pkg else name.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "spinscope"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "spinscope":
                continue
            names = [a.name for a in node.names]
            # "from . import x" where x is a module: the edge goes to that module
            subs = [n for n in names if f"{target}.{n}" in known]
            if subs:
                out += [(f"{target}.{n}", []) for n in subs]
                names = [n for n in names if n not in subs]
            if names or not subs:
                out.append((target, names))
    return out


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def shape() -> dict:
    known = modules()
    graph: dict[str, set[str]] = {m: set() for m in known}
    private = []
    for name, path in known.items():
        for target, names in imports(name, path, known):
            # a package's __init__ imports its own modules; importing "spinscope" itself is the API
            if target in known and target != name and not name.startswith(target + ".") and target != "spinscope":
                graph[name].add(target)
            for n in names:
                if n.startswith("_") and not n.startswith("__") and target != name:
                    private.append(f"{name} imports {target}.{n}")
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in known.items()}
    return {"modules": len(known), "lines": sum(sizes.values()),
            "largest": sorted(sizes.items(), key=lambda kv: -kv[1])[:10],
            "circles": circles(graph), "private_imports": private,
            "graph": {k: sorted(v) for k, v in sorted(graph.items())}}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    s = shape()
    if args.json:
        print(json.dumps(s, indent=1))
        return 0
    print(f"{s['modules']} modules, {s['lines']:,} lines")
    print("largest: " + ", ".join(f"{m} {n}" for m, n in s["largest"][:5]))
    print(f"circles: {len(s['circles'])}" + "".join(f"\n  {' <-> '.join(c)}" for c in s["circles"]))
    print(f"private imports: {len(s['private_imports'])}" + "".join(f"\n  {p}" for p in s["private_imports"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
