"""The layer rule of docs/architecture.md, checked on the imports of every module."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "wbserver"
DOMAIN_ALLOWED = ("wbserver.domain", "wbserver.ports", "wbserver.errors")
# pure computation, no I/O: arrays, JSON, regular expressions, the sweep search engine and
# the YAML of sweep configs, scikit-learn's random forest (sweep parameter importance)
DOMAIN_THIRD_PARTY = {"numpy", "orjson", "re2", "sweeps", "yaml", "sklearn"}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_domain_imports_only_ports_errors_and_stdlib():
    import sys

    for path in (SRC / "domain").glob("*.py"):
        for name in imports(path):
            top = name.split(".")[0]
            if name.startswith("wbserver"):
                assert name.startswith(DOMAIN_ALLOWED), f"{path.name} imports {name}"
            else:
                assert top in sys.stdlib_module_names or top in DOMAIN_THIRD_PARTY, \
                    f"{path.name} imports {name}"


def test_adapters_never_import_sqlalchemy_or_concrete_backends():
    for folder in ("api", "workers"):
        for path in (SRC / folder).rglob("*.py"):
            for name in imports(path):
                assert not name.startswith(("sqlalchemy", "wbserver.metadata", "wbserver.storage.local")), \
                    f"{path.relative_to(SRC)} imports {name}"


def test_only_config_reads_the_environment():
    for path in SRC.rglob("*.py"):
        if "config" in path.relative_to(SRC).parts:
            continue
        text = path.read_text()
        assert "os.environ" not in text and "getenv(" not in text, path


def test_http_adapters_share_plumbing_not_each_other():
    """`api/` and `web/` both lean on `http/` (services, base URL, error mapping, API-key
    auth); `web/` never imports `api/`, and only the route table in `api/` names `web/`."""
    for path in (SRC / "web").rglob("*.py"):
        for name in imports(path):
            assert not name.startswith("wbserver.api"), f"{path.relative_to(SRC)} imports {name}"
    for path in (SRC / "api").rglob("*.py"):
        if path.name == "routes.py":
            continue
        for name in imports(path):
            assert not name.startswith("wbserver.web"), f"{path.relative_to(SRC)} imports {name}"
    for path in (SRC / "http").rglob("*.py"):
        for name in imports(path):
            assert not name.startswith(("wbserver.api", "wbserver.web")), \
                f"{path.relative_to(SRC)} imports {name}"
