"""Settings are declared once, documented, and refused clearly when wrong."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from warehouse.errors import SettingsError
from warehouse.settings import load_settings, setting_names

README = Path(__file__).parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme():
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(), flags=re.M))
    assert set(setting_names()) == documented


def test_environment_overrides_toml(tmp_path):
    config = tmp_path / "finops.toml"
    config.write_text('FINOPS_MAX_ROWS = 20\nFINOPS_MODEL = "llama3"\n')
    settings = load_settings(environ={"FINOPS_MAX_ROWS": "30"}, config_path=config)
    assert (settings.max_rows, settings.model) == (30, "llama3")


def test_home_is_expanded(tmp_path):
    settings = load_settings(environ={"FINOPS_HOME": "~/x"}, config_path=None)
    assert settings.home == Path("~/x").expanduser()


@pytest.mark.parametrize(
    "environ, phrase",
    [
        ({"FINOPS_QUERY_TIMEOUT_S": "0"}, "FINOPS_QUERY_TIMEOUT_S"),
        ({"FINOPS_MAX_ROWS": "ten"}, "FINOPS_MAX_ROWS"),
        ({"FINOPS_AS_OF": "next tuesday"}, "FINOPS_AS_OF"),
        ({"FINOPS_THREADS": "-1"}, "FINOPS_THREADS"),
    ],
)
def test_bad_values_name_the_setting(environ, phrase):
    with pytest.raises(SettingsError, match=phrase):
        load_settings(environ=environ, config_path=None)


def test_unknown_or_broken_toml_is_refused(tmp_path):
    unknown = tmp_path / "a.toml"
    unknown.write_text("FINOPS_MAXROWS = 3\n")
    with pytest.raises(SettingsError, match="unknown setting FINOPS_MAXROWS"):
        load_settings(environ={}, config_path=unknown)
    broken = tmp_path / "b.toml"
    broken.write_text("FINOPS_MAX_ROWS = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(environ={}, config_path=broken)
