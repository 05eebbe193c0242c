"""The README's configuration reference names every variable the settings read."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def test_every_environment_variable_read_by_settings_is_documented():
    source = "\n".join(p.read_text() for p in (ROOT / "marketing_portal" / "settings").glob("*.py"))
    read = set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z_]+)\"", source))
    required = re.findall(r"for _required in \(([^)]*)\)", source)[0]
    read |= set(re.findall(r'"([A-Z_]+)"', required))
    assert {"SECRET_KEY", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS"} <= read  # the scan itself works
    readme = (ROOT / "README.md").read_text()
    missing = sorted(name for name in read if f"`{name}`" not in readme)
    assert missing == []


def test_readme_has_exactly_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", setup, flags=re.S)
    assert commands == ["python3 dev.py run", "python3 dev.py test"]
