"""`pip install .` with no extras, into a fresh virtual environment, runs every command: each
module imports, `lorebase serve` answers, and the demo exports as a PDF and an HTML site.

The test suite itself runs with the dev extras installed, which would hide a runtime
dependency declared only under `[dev]` (pypdf was one)."""

from __future__ import annotations

import os
import subprocess
import time
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_live_server import free_port

REPOSITORY = Path(__file__).resolve().parents[1]

# Imports every module of the installed package, from the installed copy (never this tree).
IMPORT_ALL = """
import importlib, pkgutil, sys
import lorebase
assert "site-packages" in lorebase.__file__, lorebase.__file__
names = [m.name for m in pkgutil.walk_packages(lorebase.__path__, "lorebase.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def _run(*args: str | Path, env: dict[str, str], cwd: Path, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.timeout(900)
def test_a_plain_pip_install_imports_every_module_serves_and_exports(tmp_path: Path) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    lorebase = environment / "bin" / "lorebase"
    # Only the variables a user's shell has: no virtualenv of ours on the path.
    env = {
        "PATH": f"{environment / 'bin'}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LOREBASE_DATA_DIR": str(tmp_path / "data"),
        "LOREBASE_RATE_LIMIT": "off",
    }
    work = tmp_path / "work"
    work.mkdir()
    _run(
        python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "-c", REPOSITORY / "constraints.txt", REPOSITORY,
        env=env, cwd=work, timeout=600,
    )  # fmt: skip
    dev_tools = "import importlib.util as u; print(u.find_spec('pytest') is not None)"
    assert _run(python, "-c", dev_tools, env=env, cwd=work).strip() == "False"

    assert int(_run(python, "-c", IMPORT_ALL, env=env, cwd=work)) > 50

    _run(lorebase, "demo", env=env, cwd=work)
    for export_format, expected in (("pdf", ".pdf"), ("html", "index.html")):
        output = tmp_path / f"demo-{export_format}.zip"
        _run(lorebase, "export", "--format", export_format, "-o", output, env=env, cwd=work)
        with zipfile.ZipFile(output) as archive:
            assert any(name.endswith(expected) for name in archive.namelist())

    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as stderr:
        server = subprocess.Popen(
            [lorebase, "serve", "--port", str(port)], env=env, cwd=work, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert server.poll() is None, log.read_text()
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"lorebase serve did not answer within 60 s:\n{log.read_text()}")
        assert health.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/v2/ProjectVersions").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert "Traceback" not in log.read_text()
