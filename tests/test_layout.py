"""The shape of the package (tools/import_graph.py): small modules, no import circles, no reaching
into another module's private names, and layers that import only layers below them."""

import importlib.util

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("import_graph", ROOT / "tools" / "import_graph.py")
graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(graph)
SHAPE = graph.shape()

# layers a layer must never import (the ones above it)
NEVER = {
    "spinscope.detect": ("spinscope.corpus", "spinscope.web", "spinscope.cli", "spinscope.render", "spinscope.training"),
    "spinscope.entities": ("spinscope.corpus", "spinscope.web", "spinscope.cli", "spinscope.render", "spinscope.training"),
    "spinscope.inputs": ("spinscope.corpus", "spinscope.web", "spinscope.cli", "spinscope.render", "spinscope.training"),
    "spinscope.render": ("spinscope.corpus", "spinscope.web", "spinscope.cli", "spinscope.training"),
    "spinscope.corpus": ("spinscope.web", "spinscope.cli", "spinscope.training"),
    "spinscope.web": ("spinscope.cli", "spinscope.training"),
    "spinscope.training": ("spinscope.cli", "spinscope.web", "spinscope.corpus"),
}


def test_no_module_over_500_lines():
    assert [(m, n) for m, n in SHAPE["largest"] if n > 500] == []


def test_no_import_circles():
    assert SHAPE["circles"] == []


def test_no_module_imports_another_modules_private_names():
    assert SHAPE["private_imports"] == []


def test_layers_import_only_layers_below_them():
    wrong = []
    for module, targets in SHAPE["graph"].items():
        for layer, banned in NEVER.items():
            if module == layer or module.startswith(layer + "."):
                wrong += [f"{module} -> {t}" for t in targets if t.startswith(banned)]
    assert wrong == []


def test_the_graph_sees_known_edges():
    # the checks above mean something only if the graph is read right
    assert "spinscope.detect.detector" in SHAPE["graph"]["spinscope.detect"]
    assert "spinscope.corpus.store" in SHAPE["graph"]["spinscope.corpus.ingest"]
    assert any(t.startswith("spinscope.corpus") for t in SHAPE["graph"]["spinscope.cli.corpus"])
