"""The reports modules import each other's public names only, and without a circle."""

import ast
import pathlib

REPORTS = pathlib.Path(__file__).resolve().parents[2] / "reports"


def _imports(path):
    """(module, name) for every `from reports.x import name`, at any depth of the file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reports"):
            for alias in node.names:
                yield node.module, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module is None and node.level:
            for alias in node.names:
                yield f"reports.{alias.name}", alias.name


def test_no_reports_module_uses_another_ones_private_helpers():
    private = [
        (path.name, module, name)
        for path in REPORTS.glob("*.py")
        for module, name in _imports(path)
        if name.startswith("_")
    ]
    assert private == []


def test_the_snapshot_and_its_offer_figures_do_not_import_each_other():
    graph = {}
    for path in REPORTS.glob("*.py"):
        here = f"reports.{path.stem}"
        graph[here] = {m if m != "reports" else f"reports.{n}" for m, n in _imports(path)} - {here}

    def reaches(start, goal, seen=()):
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, (*seen, nxt)))
                   for nxt in graph.get(start, ()))

    circles = sorted(m for m in graph if reaches(m, m))
    assert circles == []
    assert "reports.services" not in graph["reports.offers"]
