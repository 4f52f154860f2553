"""The layout the documents describe is the layout of the code."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "hub" / "services"


def _tracked_top_folders() -> set[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return {line.split("/", 1)[0] for line in listed.stdout.splitlines()
            if "/" in line and not line.startswith(".")}


def _readme_layout() -> str:
    return (ROOT / "README.md").read_text().split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def _service_groups() -> set[str]:
    return {p.parent.name for p in SERVICES.glob("*/__init__.py")}


def test_every_service_module_belongs_to_a_capability_group():
    flat = sorted(p.name for p in SERVICES.glob("*.py") if p.name != "__init__.py")
    assert flat == []
    assert len(_service_groups()) >= 6


def test_the_readme_layout_names_every_top_level_folder_and_service_group():
    layout = _readme_layout()
    folders = _tracked_top_folders()
    assert {"hub", "consent", "connectors", "schemas", "capactif_demo", "tests"} <= folders
    assert [f for f in sorted(folders) if not re.search(rf"^{re.escape(f)}/", layout, re.M)] == []
    assert [g for g in sorted(_service_groups()) if f"    {g}/" not in layout] == []


def test_the_architecture_document_names_every_service_group_and_top_level_folder():
    text = (ROOT / "docs" / "architecture.md").read_text()
    assert [g for g in sorted(_service_groups()) if f"| `{g}` |" not in text] == []
    assert [f for f in sorted(_tracked_top_folders()) if f"\n{f}/" not in text] == []


def test_every_deploy_file_the_documents_and_units_name_exists():
    texts = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"),
             *(p for p in (ROOT / "deploy").rglob("*") if p.is_file())]
    named = {m for path in texts
             for m in re.findall(r"\bdeploy/[\w.@-]+(?:/[\w.@-]+)+", path.read_text())}
    assert named and [n for n in sorted(named) if not (ROOT / n).exists()] == []
