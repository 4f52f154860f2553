"""The demo is scaffolding shipped with the [demo] extra: without it, `capactif demo` says so."""

import subprocess
import sys
from pathlib import Path

WITHOUT_FAKER = """
import sys
sys.modules["faker"] = None  # as on an install without the [demo] extra
from hub.cli import main
sys.exit(main(["demo", "--data-dir", sys.argv[1]]))
"""


def test_the_demo_without_its_extra_names_the_extra_to_install(tmp_path: Path):
    done = subprocess.run([sys.executable, "-c", WITHOUT_FAKER, str(tmp_path / "demo")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "error (configuration_error): The demo needs the [demo] extra" in done.stderr
    assert "capactif-hub[demo]" in done.stderr and "missing module: faker" in done.stderr
    assert not (tmp_path / "demo").exists()


def test_the_product_runs_without_the_demo_extra():
    imports = "import sys; sys.modules['faker'] = None; import hub.api.app, hub.web.app, hub.tasks, hub.cli"
    done = subprocess.run([sys.executable, "-c", imports], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
