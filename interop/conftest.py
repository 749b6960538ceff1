"""Fixtures for the real-client interop suite.

`cargo xtask test` runs this with HEARTH_BIN=<abs path to target/debug/hearth>. The session
fixture starts `hearth serve` on a free loopback port with a temporary data dir, creates the
test user with `hearth admin user create`, and kills the server at the end.
"""

import os
import queue
import re
import subprocess
import threading
from pathlib import Path

import pytest
import requests

# The server pre-creates this application (no API key) on an empty data dir.
APP_ID = "42709"
EMAIL = "alice@example.com"
PASSWORD = "correct horse"

SERVER_START_TIMEOUT = 30  # seconds until the "listening on" line
ADMIN_TIMEOUT = 30  # seconds for one `hearth admin` command
HTTP_TIMEOUT = 10  # seconds for one HTTP call

LISTENING_RE = re.compile(r"^listening on (http://127\.0\.0\.1:(\d+))$")


class Server:
    """A running `hearth serve` and the account created on it."""

    def __init__(self, base_url, data_dir, log_path):
        self.base_url = base_url
        self.data_dir = data_dir
        self.log_path = log_path
        # `--tls-self-signed` writes its certificate here; the same port also speaks TLS.
        self.ca_cert = Path(data_dir) / "tls" / "self-signed.pem"
        self.app_id = APP_ID
        self.email = EMAIL
        self.password = PASSWORD

    def log_tail(self, lines=40):
        try:
            text = Path(self.log_path).read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


class TimeoutSession(requests.Session):
    """requests.Session with a default timeout (the SDK passes none)."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(*args, **kwargs)


def hearth_bin():
    env_bin = os.environ.get("HEARTH_BIN")
    if env_bin:
        path = Path(env_bin)
    else:
        path = Path(__file__).resolve().parent.parent / "target" / "debug" / "hearth"
    if not path.is_file():
        pytest.fail(
            f"hearth binary not found at {path}: build it with `cargo build -p hearth` "
            "and set HEARTH_BIN (cargo xtask test does both)",
            pytrace=False,
        )
    return str(path)


def _server_env():
    env = dict(os.environ)
    env["HEARTH_ARGON2_PROFILE"] = "fast"
    env.setdefault("RUST_BACKTRACE", "1")
    return env


def _pump_stdout(pipe, first_line):
    """Hands the first stdout line over, then keeps draining so the pipe never fills."""
    sent = False
    for raw in iter(pipe.readline, b""):
        if not sent:
            first_line.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
            sent = True
    if not sent:
        first_line.put(None)
    pipe.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    binary = hearth_bin()
    base = tmp_path_factory.mktemp("hearth")
    data_dir = base / "data"
    data_dir.mkdir()
    log_path = base / "server.log"
    env = _server_env()

    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(data_dir),
                "--tls-self-signed",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
        )
    first_line = queue.Queue()
    pump = threading.Thread(target=_pump_stdout, args=(proc.stdout, first_line), daemon=True)
    pump.start()

    srv = Server(None, data_dir, log_path)
    try:
        try:
            line = first_line.get(timeout=SERVER_START_TIMEOUT)
        except queue.Empty:
            pytest.fail(
                f"hearth serve printed nothing within {SERVER_START_TIMEOUT} s\n"
                f"server log:\n{srv.log_tail()}",
                pytrace=False,
            )
        if line is None:
            pytest.fail(
                f"hearth serve exited ({proc.wait(timeout=5)}) before printing its address\n"
                f"server log:\n{srv.log_tail()}",
                pytrace=False,
            )
        match = LISTENING_RE.match(line)
        if not match:
            pytest.fail(
                f"first stdout line of hearth serve is {line!r}, expected "
                f"'listening on http://127.0.0.1:PORT'\nserver log:\n{srv.log_tail()}",
                pytrace=False,
            )
        srv.base_url = match.group(1)
        if not srv.ca_cert.is_file():
            pytest.fail(
                f"hearth serve --tls-self-signed wrote no certificate at {srv.ca_cert}\n"
                f"server log:\n{srv.log_tail()}",
                pytrace=False,
            )

        created = subprocess.run(
            [
                binary, "admin", "user", "create",
                "--data-dir", str(data_dir),
                "--email", EMAIL,
                "--password", PASSWORD,
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=env,
            timeout=ADMIN_TIMEOUT,
        )
        out = created.stdout.decode("utf-8", "replace")
        if created.returncode != 0 or f"email={EMAIL}" not in out.split():
            pytest.fail(
                f"hearth admin user create failed (exit {created.returncode})\n"
                f"stdout: {out}\nstderr: {created.stderr.decode('utf-8', 'replace')}",
                pytrace=False,
            )
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        pump.join(timeout=5)


@pytest.fixture
def mf_api(server, monkeypatch):
    """A PyPI `mediafire` MediaFireApi pointed at the test server (package left unedited).

    The client's `download_file` rewrites links to https and fetches them with a bare
    `requests.get`, so requests is told to trust the server's self-signed certificate through
    `REQUESTS_CA_BUNDLE` (and the SDK's own session through `verify`).
    """
    import mediafire.api

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_cert))

    monkeypatch.setattr(mediafire.api, "API_BASE", server.base_url)
    monkeypatch.setattr(mediafire.api, "API_VER", "1.5")
    api = mediafire.api.MediaFireApi()
    api.http = TimeoutSession()
    api.http.verify = str(server.ca_cert)
    return api
