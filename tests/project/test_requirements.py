"""requirements.txt is enough to run the app: the Docker image installs only it."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from packaging.utils import canonicalize_name


def _pinned() -> dict[str, str]:
    lines = (Path(settings.BASE_DIR) / "requirements.txt").read_text().splitlines()
    pins = {}
    for line in lines:
        if line.strip() and not line.startswith("#"):
            name, _, version = line.split("#")[0].strip().partition("==")
            pins[canonicalize_name(re.split(r"[\[ ;]", name)[0])] = version.strip()
    return pins


def test_packaging_is_pinned():
    # kombu's Redis transport (the broker of every deployment) imports packaging, but kombu declares it
    # only in its [redis] extra: without the pin the image could not start a worker or seed the demo.
    import kombu.transport.redis  # noqa: F401  (the import that needs it)

    assert re.fullmatch(r"\d+(\.\d+)+", _pinned().get("packaging", ""))


def test_every_runtime_line_is_pinned_exactly():
    assert all(re.fullmatch(r"\d+(\.\d+)+", version) for version in _pinned().values()), _pinned()
