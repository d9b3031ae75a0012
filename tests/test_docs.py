"""The README is how a shop learns kb: every setting must be in it."""
from __future__ import annotations

from kb import ROOT, _defaults

FLASK_SETTINGS = {"SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE"}


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    undocumented = [key for key in _defaults("instance") if key not in FLASK_SETTINGS and f"`{key}`" not in readme]
    assert undocumented == []


def test_readme_names_the_two_commands_that_exist():
    readme = (ROOT / "README.md").read_text()
    assert "./dev serve" in readme and "./dev test" in readme
    assert (ROOT / "dev").stat().st_mode & 0o111
