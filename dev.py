#!/usr/bin/env python3
"""The README's two set-up commands, with nothing but Python 3.11+ needed to start:

    python3 dev.py run    install into .venv, migrate, seed demo data once, serve on http://127.0.0.1:8000
    python3 dev.py test   install into .venv (with test tools) and run the whole test suite

Also: ``python3 dev.py keys`` prints a fresh set of secrets for an env file.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
ENV_FILE = ROOT / ".env"


def _log(message: str) -> None:
    print(f"==> {message}", flush=True)


def ensure_venv(*, requirements: str) -> None:
    """Create .venv and install ``requirements`` unless the same file was installed already."""
    if not PYTHON.exists():
        _log(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    req_path = ROOT / requirements
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(ROOT.glob("requirements*.txt")))).hexdigest()
    stamp = VENV / f".installed-{requirements}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    _log(f"installing {requirements}")
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(req_path)], check=True)
    stamp.write_text(digest)


def fresh_secrets() -> dict[str, str]:
    def key() -> str:
        return base64.b64encode(secrets.token_bytes(32)).decode()

    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": f"k{secrets.token_hex(3)}:{key()}",
        "BLIND_INDEX_KEY": key(),
        "AUDIT_CHAIN_KEY": key(),
        "PAYMENT_GATEWAY_SECRET": secrets.token_urlsafe(32),
    }


def ensure_env_file() -> None:
    """Write .env with random secrets on first start; the keys must then be kept with the database."""
    if ENV_FILE.exists():
        return
    _log("writing .env with freshly generated secrets (keep it: the demo database is encrypted with them)")
    ENV_FILE.write_text("".join(f"{name}={value}\n" for name, value in fresh_secrets().items()))
    os.chmod(ENV_FILE, 0o600)


def manage(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(PYTHON), str(ROOT / "manage.py"), *args], check=True, cwd=ROOT, env=env)


def cmd_run(argv: list[str]) -> int:
    ensure_venv(requirements="requirements.txt")
    ensure_env_file()
    (ROOT / "var").mkdir(exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo", "--if-empty")
    port = argv[0] if argv else "8000"
    _log(
        f"business hall http://127.0.0.1:{port}/   admin http://127.0.0.1:{port}/admin/   API docs http://127.0.0.1:{port}/api/docs/"
    )
    try:
        manage("runserver", f"127.0.0.1:{port}", "--noreload")
    except KeyboardInterrupt:
        pass
    return 0


def cmd_test(argv: list[str]) -> int:
    ensure_venv(requirements="requirements-dev.txt")
    (ROOT / "var").mkdir(exist_ok=True)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "marketing_portal.settings.test"}
    return subprocess.run([str(PYTHON), "-m", "pytest", *argv], cwd=ROOT, env=env).returncode


def cmd_keys(argv: list[str]) -> int:
    for name, value in fresh_secrets().items():
        print(f"{name}={value}")
    return 0


COMMANDS = {"run": cmd_run, "test": cmd_test, "keys": cmd_keys}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        sys.exit(2)
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
