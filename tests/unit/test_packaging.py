"""Files the server reads at run time must be in the wheel (package-data), not only in the
source tree an editable install points at."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "wbserver"


def test_every_runtime_data_file_is_declared_as_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]["wbserver"]
    declared = {p for pattern in patterns for p in PACKAGE.glob(pattern) if p.is_file()}
    needed = [p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
              and (p.suffix in (".graphql", ".json", ".html", ".css", ".js", ".svg", ".mako")
                   or "migrations" in p.parts)]
    missing = [str(p.relative_to(PACKAGE)) for p in needed if p not in declared]
    assert not missing, f"add to [tool.setuptools.package-data]: {missing}"
