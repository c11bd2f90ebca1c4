from edge.cli import main
from edge.commands.serve import gunicorn_command


def test_serve_dry_run_prints_url_and_command(capsys, monkeypatch, tmp_path):
    conf = tmp_path / "kiosk.toml"
    conf.write_text('listen = "0.0.0.0:8099"\nkiosk_id = "k-cli"\n')
    monkeypatch.setenv("CCCD_EDGE_API_KEYS", "h:hospital:k")
    assert main(["serve", "--config", str(conf), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would serve on http://localhost:8099/" in out and "serving on" not in out
    assert "-m gunicorn" in out and "gunicorn.conf.py" in out


def test_serve_listen_override(capsys, monkeypatch):
    monkeypatch.delenv("CCCD_EDGE_CONFIG", raising=False)
    assert main(["serve", "--listen", "10.0.0.5:9001", "--dry-run"]) == 0
    assert "http://10.0.0.5:9001/" in capsys.readouterr().out


def test_serve_bad_config_is_one_sentence_exit_2(capsys, tmp_path):
    conf = tmp_path / "bad.toml"
    conf.write_text("result_ttl = -5\n")
    assert main(["serve", "--config", str(conf)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("cccd-edge: result_ttl must be a positive number") and "Traceback" not in err
    )


def test_gunicorn_command_uses_the_conf_file():
    cmd = gunicorn_command(None)
    assert cmd[1:3] == ["-m", "gunicorn"] and cmd[-1].endswith("gunicorn.conf.py")


def test_the_url_is_printed_by_gunicorns_when_ready_hook_not_before(capsys, monkeypatch):
    import runpy
    from pathlib import Path

    import edge.commands.serve as serve

    monkeypatch.delenv("CCCD_EDGE_CONFIG", raising=False)
    monkeypatch.setenv("CCCD_EDGE_LISTEN", "127.0.0.1:8123")
    calls = []
    monkeypatch.setattr(serve.os, "execvpe", lambda *a: calls.append(a))
    assert main(["serve"]) == 0 and calls  # exec'd gunicorn ...
    assert "serving on" not in capsys.readouterr().out  # ... without claiming a URL first
    conf = runpy.run_path(str(Path(serve.GUNICORN_CONF)))
    conf["when_ready"](object())  # gunicorn calls it once the socket is bound
    assert capsys.readouterr().out.startswith("cccd-edge: serving on http://localhost:8123/")
