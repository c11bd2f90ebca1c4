"""The ``[insurance]`` configuration: TOML table, CCCD_EDGE_BHYT_* variables, a password file."""

from __future__ import annotations

import pytest

from edge.config import ConfigError, load_config

ENV = {
    "CCCD_EDGE_BHYT_URL": "https://gateway.example.test/base/",
    "CCCD_EDGE_BHYT_USERNAME": "01013_BV",
    "CCCD_EDGE_BHYT_PASSWORD": "s3cret-pass",
    "CCCD_EDGE_BHYT_STAFF_NAME": "Nguyễn Thị Nhân Viên",
    "CCCD_EDGE_BHYT_STAFF_ID": "001190000001",
}


def test_off_by_default():
    config = load_config(env={})
    assert not config.insurance.enabled and config.insurance.profiles == ("hospital",)
    assert config.insurance.timeout == 4 and config.insurance.breaker_seconds == 30


def test_from_the_environment_and_password_hidden():
    s = load_config(env=ENV).insurance
    assert s.enabled and s.url == "https://gateway.example.test/base"
    assert (s.username, s.password, s.staff_id) == ("01013_BV", "s3cret-pass", "001190000001")
    assert "s3cret-pass" not in repr(s) and "s3cret-pass" not in repr(load_config(env=ENV))


def test_password_file_and_profiles(tmp_path):
    secret = tmp_path / "bhyt-password"
    secret.write_text("from-a-file\n")
    env = {k: v for k, v in ENV.items() if k != "CCCD_EDGE_BHYT_PASSWORD"}
    env |= {
        "CCCD_EDGE_BHYT_PASSWORD_FILE": str(secret),
        "CCCD_EDGE_BHYT_PROFILES": "hospital,school",
    }
    s = load_config(env=env).insurance
    assert s.password == "from-a-file" and s.profiles == ("hospital", "school")
    assert s.applies_to("school") and not s.applies_to("airport")


def test_toml_table(tmp_path):
    path = tmp_path / "edge.toml"
    path.write_text(
        '[insurance]\nurl = "http://127.0.0.1:9"\nusername = "u"\npassword = "p"\n'
        'staff_name = "A B"\nstaff_id = "001190000001"\nprofiles = ["airport"]\ntimeout = 2.5\n',
        encoding="utf-8",
    )
    s = load_config(path, env={}).insurance
    assert s.url == "http://127.0.0.1:9" and s.profiles == ("airport",) and s.timeout == 2.5
    assert s.breaker_seconds == 30  # the default table's value is kept


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"CCCD_EDGE_BHYT_PROFILES": "clinic"}, "clinic"),
        ({"CCCD_EDGE_BHYT_STAFF_ID": "12345"}, "12-digit"),
        ({"CCCD_EDGE_BHYT_USERNAME": ""}, "insurance.username"),
        ({"CCCD_EDGE_BHYT_URL": "ftp://x"}, "http(s) base URL"),
        ({"CCCD_EDGE_BHYT_URL": "https://x/?password=leak"}, "without a query"),
        (
            {"CCCD_EDGE_BHYT_PASSWORD_FILE": "/nonexistent/file", "CCCD_EDGE_BHYT_PASSWORD": ""},
            "file",
        ),
    ],
)
def test_unusable_settings_are_config_errors(changes, fragment):
    env = {**ENV, **changes}
    with pytest.raises(ConfigError) as err:
        load_config(env=env)
    assert fragment in err.value.message
    assert "leak" not in err.value.message and "s3cret" not in err.value.message


def test_unknown_key_in_the_table():
    with pytest.raises(ConfigError, match="Unknown \\[insurance\\] keys: pasword"):
        load_config(env={}, overrides={"insurance": {"pasword": "x"}})
