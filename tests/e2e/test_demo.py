"""`capactif demo` end to end on the embedded default: real API and worker processes,
a SQLite file and the file-system broker."""

import os
import re
import subprocess
import sys

import pytest
import requests

from capactif_demo.processes import free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.slow


def test_the_demo_pushes_processes_summarises_and_leaves_no_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", "demo", "--fiches", "120", "--data-dir",
         str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    pushed = int(re.search(r"Envoi : (\d+) fiches", out)[1])
    accepted = int(re.search(r"acceptées : (\d+)", out)[1])
    rejected = int(re.search(r"rejetées : (\d+)", out)[1])
    processed = int(re.search(r"Traitement : (\d+) fiches traitées", out)[1])
    via_connectors = [int(n) for n in re.findall(r"1er passage : \d+ lus, (\d+) acceptés", out)]
    assert accepted + rejected == pushed and rejected > 0
    assert len(via_connectors) == 2 and all(via_connectors)  # a CSV and a REST member
    assert re.findall(r"2e passage : (\d+) envoyés", out) == ["0", "0"]  # re-run sends nothing
    # a contact deleted in the CRM between the runs is removed from the hub
    assert re.findall(r"(\d+) supprimés à la source", out) == ["0", "1"]
    assert processed == accepted + sum(via_connectors)
    assert "[unknown_consent_reference]" in out  # one fiche refused for want of consent
    assert "[format]" in out or "[required]" in out
    linked, queued = (int(n) for n in re.search(
        r"Doublons entre membres : (\d+) fiches rattachées automatiquement.*, (\d+) en attente",
        out).groups())
    assert linked > 0 and queued > 0  # the same porteurs met by several members
    assert re.search(r"a priori : [−+]\d", out) and re.search(r"total : \+\d.*probabilité", out)
    assert "RIEN REÇU" not in out  # three roles, three views
    assert re.search(r"avis de retrait envoyés à [1-9]", out)
    assert "aucun processus restant" in out
    erased = re.search(r"Effacement \(RGPD art\. 17\) eff_\w+ : (\d+) fiche\(s\), clés de "
                       r"chiffrement détruites ; relire la fiche répond (\d+) ; avis "
                       r"d'effacement envoyés à (\d+) membres", out)
    assert erased and erased[1] != "0" and erased[2] == "410" and erased[3] != "0"
    assert re.search(r"accusés de réception : .*acknowledged", out)


def test_the_demo_ends_with_the_command_that_opens_the_console_on_its_data(tmp_path):
    data_dir = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "hub.cli", "demo", "--fiches", "40", "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    command = re.search(r"^  (\S+capactif serve --data-dir \S+ --port \d+)$", result.stdout, re.M)[1]
    password = re.search(r"dpo / (\S+?)[,)]", result.stdout)[1]
    port = free_port()
    argv = command.replace("--port 8000", f"--port {port}").split()
    env = {**os.environ, "HUB_CONSOLE_COOKIE_SECURE": "false"}  # plain HTTP client below
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base)
        browser = requests.Session()
        form = browser.get(f"{base}/console/connexion", timeout=10).text
        token = re.search(r'name="csrf" value="([^"]+)"', form)[1]
        page = browser.post(f"{base}/console/connexion", timeout=30,
                            data={"csrf": token, "login": "dpo", "password": password})
        assert page.status_code == 200 and page.url.endswith("/console/dpo/journal")
        assert "Journal d'accès" in page.text
        coordination = requests.Session()
        form = coordination.get(f"{base}/console/connexion", timeout=10).text
        token = re.search(r'name="csrf" value="([^"]+)"', form)[1]
        coordination.post(f"{base}/console/connexion", timeout=30, data={
            "csrf": token, "login": "coordination",
            "password": re.search(r"coordination / (\S+?)[,)]", result.stdout)[1]})
        queue = coordination.get(f"{base}/console/coordination/doublons", timeout=30)
        assert queue.status_code == 200 and "Doublon n°" in queue.text  # the demo's review items
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(base: str) -> None:
    def answers() -> bool:
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    wait_until(answers, 60, "capactif serve to answer")
