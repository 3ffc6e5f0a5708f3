"""The layering rules of ARCHITECTURE.md, checked on every module's imports (static, by AST).

- the core (attachment/core) imports no app's services, selectors, views, forms or tasks;
- registries' base (geography, PHN, vocabularies, models; not its admin) imports no other app;
- the matching engine (attachment/matching, but for its DB glue), the linkage engine
  (linkage/engine) and the care risk rule (care/risk.py) import no Django at all;
- nothing imports the project's urls or views but the project itself.
Imports inside functions count too: a rule is about what a module needs, not when.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("attachment", "patients", "providers", "registries", "reports", "care", "linkage", "api", "fhir")
UPPER_LAYERS = ("services", "selectors", "views", "forms", "tasks", "urls")


def modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(paths, forbidden) -> list[str]:
    found = []
    for path in paths:
        for name in sorted(imported(path)):
            if forbidden(name):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


def is_upper_layer(name: str) -> bool:
    parts = name.split(".")
    return parts[0] in APPS and any(part in UPPER_LAYERS for part in parts[1:])


def test_the_core_imports_no_services_selectors_views_forms_or_tasks():
    assert violations(modules("attachment/core"), is_upper_layer) == []


def test_registries_base_imports_no_other_app():
    # The base is the data and its rules; the admin screens and the command are pages and tools on top.
    base = [p for p in modules("registries") if "panels" not in p.relative_to(ROOT / "registries").parts
            and "management" not in p.parts and p.name != "admin.py"]
    other_apps = {"attachment", "patients", "providers", "reports", "care", "linkage"}
    assert base, "registries has modules"
    assert violations(base, lambda name: name.split(".")[0] in other_apps) == []


def test_the_matching_engine_imports_no_django():
    engine = [p for p in modules("attachment/matching") if p.name != "db.py"]
    assert violations(engine, lambda name: name.split(".")[0] in ("django", "celery") or
                      (name.startswith("attachment") and not name.startswith("attachment.matching"))) == []


def test_the_linkage_engine_imports_no_django():
    # It runs on files (manage.py link) exactly as on the database: pure Python over polars.
    engine = list(modules("linkage/engine"))
    assert engine, "the linkage engine has modules"
    assert violations(engine, lambda name: name.split(".")[0] in ("django", "celery") or
                      (name.split(".")[0] in APPS and not name.startswith("linkage.engine"))) == []


def test_the_care_risk_rule_imports_no_django():
    assert violations([ROOT / "care" / "risk.py"], lambda name: name.split(".")[0] in ("django", "celery")
                      or name.split(".")[0] in APPS and name != "care.risk") == []


def test_only_the_project_imports_its_urls_and_views():
    project = {ROOT / "attachment" / "urls.py"}
    paths = [p for app in APPS for p in modules(app) if p not in project]
    assert violations(paths, lambda name: name in ("attachment.urls", "attachment.views")) == []


def test_the_checker_reports_a_module_that_breaks_a_rule(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from patients import services\n\ndef f():\n    from attachment.workflow.views import runs\n")
    found = [name for name in imported(bad) if is_upper_layer(name)]
    assert sorted(found) == ["attachment.workflow.views", "attachment.workflow.views.runs", "patients.services"]
