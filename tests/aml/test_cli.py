"""`openidv aml load / sources / screen` as an operator runs them (in a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.aml import samples


def run(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENIDV_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "openidv.cli", "aml", *args],
                          capture_output=True, text=True, timeout=300, env=env)


def test_operator_loads_lists_sees_them_and_screens(tmp_path: Path) -> None:
    (tmp_path / "consolidated.xml").write_text(samples.UN_XML)
    (tmp_path / "sdn.csv").write_text(samples.OFAC_SDN_CSV, newline="")
    (tmp_path / "alt.csv").write_text(samples.OFAC_ALT_CSV, newline="")
    home = tmp_path / "home"
    loaded = run(home, "load", str(tmp_path / "consolidated.xml"))
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["source"] == "un-sc"
    ofac = run(home, "load", str(tmp_path / "sdn.csv"), "--aliases", str(tmp_path / "alt.csv"),
               "--source", "ofac")
    assert json.loads(ofac.stdout)["entities"] == 3, ofac.stderr
    sources = json.loads(run(home, "sources").stdout)["sources"]
    assert [(s["source"], s["entities"], s["listDate"]) for s in sources] == [
        ("ofac", 3, None), ("un-sc", 3, "2024-03-05")]
    screened = json.loads(run(home, "screen", "Moammar", "Kadhafi", "--dob", "1942").stdout)
    assert {(h["source"], h["entity"]["entityId"]) for h in screened["hits"]} == {
        ("un-sc", "LYi.009"), ("ofac", "2675")}


def test_a_malformed_file_is_refused_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "consolidated.xml"
    bad.write_text(samples.UN_XML[:1500])
    out = run(tmp_path / "home", "load", str(bad))
    assert out.returncode == 1
    assert out.stderr.startswith("Error: consolidated.xml: XML is not well-formed at line")
    assert "Traceback" not in out.stderr
