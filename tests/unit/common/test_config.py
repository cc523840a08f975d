"""Configuration from the environment: the data directory, read at call time and made on first use."""

from services.common import config


def test_the_data_dir_is_the_configured_one_made_with_its_parents_and_found_again(tmp_path, monkeypatch):
    wanted = tmp_path / "deploy" / "cadre" / "var"
    monkeypatch.setenv("CADRE_DATA_DIR", str(wanted))
    assert config.data_dir() == wanted and wanted.is_dir()
    assert config.data_dir() == wanted  # already there: not an error
