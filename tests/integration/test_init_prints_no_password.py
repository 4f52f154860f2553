"""`capactif init` says which database it prepared without printing its password."""

import os
import subprocess
import sys

import sqlalchemy as sa


def test_init_names_the_database_with_its_credentials_starred(db_url, tmp_path):
    url = sa.engine.make_url(db_url)
    if url.drivername.startswith("postgresql"):
        url = url.set(username=url.username or "postgres", password="init-clear-pw")
    env = {**os.environ, "HUB_DATABASE_URL": url.render_as_string(False),
           "HUB_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "hub.cli", "init"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "init-clear-pw" not in done.stdout + done.stderr
    starred = f"{url.drivername}://***@{url.host}" if url.host else db_url
    assert f"base prête : {starred}" in done.stdout
