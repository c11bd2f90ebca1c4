import hashlib

import pytest

from edge.config import ConfigError, load_config


def test_defaults_from_packaged_toml():
    c = load_config(env={})
    assert c.reader == "simulator" and c.result_ttl == 300 and c.relying_parties == ()
    assert c.host_port == ("127.0.0.1", 8080)


def test_file_then_env_then_overrides(tmp_path):
    digest = hashlib.sha256(b"file-key").hexdigest()
    f = tmp_path / "c.toml"
    f.write_text(f'''
reader = "ACS ACR1252 PICC"
result_ttl = 120
listen = "0.0.0.0:9000"
[relying_parties.cho-ray]
profile = "hospital"
api_key_sha256 = ["{digest}"]
''')
    c = load_config(
        f,
        env={"CCCD_EDGE_RESULT_TTL": "45", "CCCD_EDGE_API_KEYS": "gate-1:airport:env-key"},
        overrides={"kiosk_id": "k-9"},
    )
    assert c.reader == "ACS ACR1252 PICC" and c.result_ttl == 45 and c.kiosk_id == "k-9"
    assert c.host_port == ("0.0.0.0", 9000)
    assert c.relying_party_for_key("file-key").id == "cho-ray"
    assert c.relying_party_for_key("env-key").profile == "airport"
    assert c.relying_party_for_key("nope") is None
    # Only digests are kept in memory.
    assert "env-key" not in repr(c)


@pytest.mark.parametrize(
    "content,match",
    [
        ("bogus_key = 1", "Unknown configuration keys: bogus_key"),
        ('result_ttl = "soon"', "result_ttl"),
        ("result_ttl = -1", "result_ttl"),
        ('listen = "nowhere"', "listen"),
        ('[relying_parties.x]\nprofile = "bank"', "profile 'bank'"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_files(tmp_path, content, match):
    f = tmp_path / "c.toml"
    f.write_text(content)
    with pytest.raises(ConfigError, match=match):
        load_config(f, env={})


def test_missing_file_and_bad_env(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.toml", env={})
    with pytest.raises(ConfigError, match="rp_id:profile:key"):
        load_config(env={"CCCD_EDGE_API_KEYS": "just-a-key"})


def test_liveness_switch_and_access_key_timeout(tmp_path):
    c = load_config(env={})
    assert c.liveness is True and c.liveness_steps == 3 and c.liveness_window == 15
    assert c.access_key_timeout == 120 and c.card_timeout == 30
    assert load_config(env={"CCCD_EDGE_LIVENESS": "false"}).liveness is False
    f = tmp_path / "c.toml"
    f.write_text("liveness = false\naccess_key_timeout = 45\n")
    c = load_config(f, env={})
    assert c.liveness is False and c.access_key_timeout == 45
    with pytest.raises(ConfigError, match="liveness"):
        load_config(env={"CCCD_EDGE_LIVENESS": "maybe"})
    with pytest.raises(ConfigError, match="liveness_steps"):
        load_config(overrides={"liveness_steps": 0}, env={})
    with pytest.raises(ConfigError, match="access_key_timeout"):
        load_config(overrides={"access_key_timeout": 0}, env={})


def test_walk_up_profile_reaches_the_kiosk_screen(tmp_path):
    from edge.app import create_app

    assert load_config(env={}).walk_up_profile == "airport"
    assert load_config(env={"CCCD_EDGE_WALK_UP_PROFILE": "hospital"}).walk_up_profile == "hospital"
    f = tmp_path / "c.toml"
    f.write_text('walk_up_profile = ""\n')
    assert load_config(f, env={}).walk_up_profile == ""
    with pytest.raises(ConfigError, match="walk_up_profile"):
        load_config(env={"CCCD_EDGE_WALK_UP_PROFILE": "bank"})
    app = create_app(
        {"instance_dir": str(tmp_path), "reader": "none", "walk_up_profile": "hospital"}
    )
    assert app.config["KIOSK_UI"]["walk_up_profile"] == "hospital"


def test_face_threads_from_the_environment_and_its_bounds():
    assert load_config(env={}).face_threads == 1
    assert load_config(env={"CCCD_EDGE_FACE_THREADS": "4"}).face_threads == 4
    for bad in ("0", "17"):
        with pytest.raises(ConfigError, match="face_threads"):
            load_config(env={"CCCD_EDGE_FACE_THREADS": bad})
