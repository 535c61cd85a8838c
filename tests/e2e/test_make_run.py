"""What `make run` starts (`payments up`): the API, console, scheduler and simulators together."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except OSError:
        return 0, b""


def test_payments_up_seeds_an_empty_database_serves_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = {**os.environ, "PAYMENTS_ENV": "development", "PAYMENTS_LOG_LEVEL": "ERROR",
           "PAYMENTS_DATABASE_URL": f"sqlite:///{tmp_path / 'payments.db'}"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "payments", "up", "--port", str(port), "--beneficiaries", "60"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while _get(f"http://127.0.0.1:{port}/health")[0] != 200:
            assert process.poll() is None, process.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "payments up never answered /health"
            time.sleep(0.5)
        assert b'"database":"ok"' in _get(f"http://127.0.0.1:{port}/health")[1]
        assert _get(f"http://127.0.0.1:{port}/api/docs")[0] == 200
        assert _get(f"http://127.0.0.1:{port}/api/openapi.json")[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err[-3000:]
    assert "development logins" in err
    assert "demo.approver" in err
    assert "stopped." in err
