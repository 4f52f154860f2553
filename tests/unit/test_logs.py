"""Secrets and submitted values never printed: settings' repr, and every log handler's
tracebacks (the hub's, uvicorn's, celery's) keep the frames and drop exception text."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from hub.config import Settings

MARKER = "MARQUEUR-SOUMIS-7781"

_LOGGING_PROCESS = textwrap.dedent("""
    import logging, logging.config, os
    from hub.logs import configure_logging, uvicorn_log_config
    configure_logging("INFO", os.environ.get("FORMAT", "text"))
    logging.config.dictConfig(uvicorn_log_config("INFO", os.environ.get("FORMAT", "text")))

    def submit(value):
        try:
            int(value)
        except ValueError as exc:
            raise RuntimeError("refused: " + value) from exc

    for name in ("hub.services.ingest.accept", "uvicorn.error", "celery.app.trace"):
        try:
            submit(os.environ["SUBMITTED"])
        except RuntimeError:
            logging.getLogger(name).exception("failure in %s", name)
""")


def test_settings_never_print_the_database_or_broker_password():
    settings = Settings(database_url="postgresql+psycopg://hub:Pa55-secret@db:5432/capactif",
                        broker_url="redis://:r3dis-secret@redis:6379/0")
    for text in (repr(settings), str(settings), f"{settings}", repr([settings])):
        assert "Pa55-secret" not in text and "r3dis-secret" not in text
        assert "db:5432/capactif" in text  # the rest stays readable
    queried = Settings(database_url="postgresql+psycopg://db/capactif?user=hub&password=qs-secret")
    assert "qs-secret" not in repr(queried)


def test_every_handler_keeps_the_traceback_and_drops_the_exception_text(tmp_path):
    script = tmp_path / "log_failure.py"
    script.write_text(_LOGGING_PROCESS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=60, check=True, env={**os.environ, "SUBMITTED": MARKER})
    output = done.stderr
    for name in ("hub.services.ingest.accept", "uvicorn.error", "celery.app.trace"):
        assert f"failure in {name}" in output
    assert output.count("Traceback (most recent call last):") == 6  # cause + effect, x3
    assert output.count("ValueError: <message omis") == 3
    assert output.count("RuntimeError: <message omis") == 3
    assert 'in submit' in output and "int(value)" in output  # frames and source lines kept
    assert MARKER not in output


def test_json_logs_are_one_object_a_line_with_the_redacted_traceback(tmp_path):
    import json

    script = tmp_path / "log_failure.py"
    script.write_text(_LOGGING_PROCESS)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                          check=True, env={**os.environ, "SUBMITTED": MARKER, "FORMAT": "json"})
    entries = [json.loads(line) for line in done.stderr.splitlines()]
    assert [e["journal"] for e in entries] == [
        "hub.services.ingest.accept", "uvicorn.error", "celery.app.trace"]
    assert all(e["niveau"] == "ERROR" and "ValueError: <message omis" in e["trace"] for e in entries)
    assert MARKER not in done.stderr
