"""`channels` and `outbox` in the configuration: read with the other settings, mistakes exit 2
naming the file and the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowctl.cli import app
from flowctl.config.channels import CHANNELS, OUTBOX
from flowctl.config.limits import ChannelLimits, Per
from flowctl.config.settings import Config, find_config
from tests.conftest import FLOWS


def test_the_defaults_send_every_channel_to_the_outbox() -> None:
    channels = Config().channels
    assert CHANNELS == ("email", "sms", "push", "webhook", "http", "default")
    assert {channels.handler_name(name) for name in (*CHANNELS, "slack")} == {OUTBOX}


def test_channel_tables_and_the_outbox_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.flowctl]\npaths = ["flows/"]\n'
        '[tool.flowctl.channels.email]\nhandler = "smtp"\nhost = "mail.example.com"\nport = 2525\n'
        '[tool.flowctl.channels.default]\nhandler = "http"\nurl = "https://crm.example.com/e"\n'
        '[tool.flowctl.channels.sms]\nhandler = "outbox"\n'
        '[tool.flowctl.outbox]\npath = "var/outbox.jsonl"\n'
    )
    monkeypatch.chdir(tmp_path)
    channels = find_config().channels
    email = channels.table("email")
    assert (email.handler, dict(email.options)) == (
        "smtp",
        {"host": "mail.example.com", "port": 2525},
    )
    assert email.where == "pyproject.toml: tool.flowctl.channels.email"
    assert channels.handler_name("goal-ish plugin channel") == "http"  # default's
    assert channels.table("sms") is channels.table("push") is channels.outbox
    assert dict(channels.outbox.options) == {"path": "var/outbox.jsonl"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'chanels = {email = {handler = "smtp"}}',
            "chanels: unknown key; did you mean 'channels'?",
        ),
        ('channels = "smtp"', 'channels: must be a table like {email = {handler = "smtp"}}'),
        (
            '[channels.emial]\nhandler = "smtp"',
            "channels.emial: unknown channel; did you mean 'email'?",
        ),
        (
            '[channels.fax]\nhandler = "smtp"',
            "channels.fax: unknown channel; the channels are email, sms, push, webhook, http, "
            "default",
        ),
        ("[channels]\nemail = 1", 'channels.email: must be a table like {handler = "smtp"'),
        ('[channels.email]\nhost = "x"', "channels.email.handler: is required: the handler to use"),
        ("[channels.email]\nhandler = 1", "channels.email.handler: must be a handler name such"),
        (
            '[channels.sms]\nhandler = "outbox"\npath = "sms.jsonl"',
            "channels.sms.path: unknown key; the outbox is set up once, in the `outbox` table",
        ),
        (
            '[channels.email]\nhandler = "outbox"\nrate = "600"',
            'channels.email.rate: must be COUNT/PERIOD such as "600/min", "10/s", "5000/hour" or '
            "\"50/10m\", not '600'",
        ),
        (
            '[channels.email]\nhandler = "outbox"\nrate = "600/fortnight"',
            "channels.email.rate: unknown period 'fortnight'",
        ),
        (
            '[channels.email]\nhandler = "outbox"\nrate = "0/min"',
            "channels.email.rate: must allow at least 1 per period of at least 1s, not '0/min'",
        ),
        (
            '[channels.email]\nhandler = "outbox"\nrate = 600',
            "channels.email.rate: must be COUNT/PERIOD",
        ),
        (
            '[channels.email]\nhandler = "outbox"\nburst = 5',
            "channels.email.burst: needs `rate`: it is the size of the rate's bucket",
        ),
        (
            '[channels.email]\nhandler = "outbox"\nrate = "1/s"\nburst = 0',
            "channels.email.burst: must be an integer from 1 to 1000000, not 0",
        ),
        (
            '[channels.http]\nhandler = "outbox"\npause = "5m"',
            "channels.http.pause: needs `error_budget`",
        ),
        (
            '[channels.http]\nhandler = "outbox"\nerror_budget = "5/10m"\npause = "soon"',
            "channels.http.pause: must be a positive number of seconds or a duration",
        ),
        ('outbox = "out.jsonl"', 'outbox: must be a table like {path = ".flowctl/outbox.jsonl"}'),
        ('[outbox]\npth = "x"', "outbox.pth: unknown key; did you mean 'path'?"),
        ("[outbox]\npath = 3", "outbox.path: must be a non-empty string, not 3"),
    ],
)
def test_mistakes_exit_2_naming_file_and_key(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    (tmp_path / ".flowctl.toml").write_text(text + "\n")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", str(FLOWS)])
    assert result.exit_code == 2, result.output
    assert f"flowctl: error: .flowctl.toml: {message}" in result.output
    assert "Traceback" not in result.output


def test_pyproject_mistakes_name_the_whole_table(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.flowctl.channels.emial]\nhandler = "smtp"\n')
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", str(FLOWS)])
    assert result.exit_code == 2
    assert (
        "pyproject.toml: tool.flowctl.channels.emial: unknown channel; did you mean 'email'?"
    ) in result.output


def test_limits_are_read_for_any_handler_and_kept_from_its_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".flowctl.toml").write_text(
        '[channels.email]\nhandler = "smtp"\nhost = "mail.example.com"\nrate = "600/min"\n'
        '[channels.sms]\nhandler = "outbox"\nrate = "5000/hour"\nburst = 50\n'
        'error_budget = "20/5m"\npause = "15m"\n'
        '[channels.http]\nhandler = "outbox"\nerror_budget = "3/PT1M"\n'
        '[channels.default]\nhandler = "outbox"\nrate = "2/day"\n'
    )
    monkeypatch.chdir(tmp_path)
    channels = find_config().channels
    assert dict(channels.table("email").options) == {"host": "mail.example.com"}
    email = channels.limits("email")
    assert email == ChannelLimits(Per(600, timedelta(minutes=1)), burst=10.0)
    assert channels.limits("sms") == ChannelLimits(
        Per(5000, timedelta(hours=1)), 50.0, Per(20, timedelta(minutes=5)), timedelta(minutes=15)
    )
    http = channels.limits("http")
    assert http is not None and http.rate is None
    assert (http.error_budget, http.pause) == (Per(3, timedelta(minutes=1)), timedelta(minutes=1))
    assert channels.limits("a plugin's channel") == ChannelLimits(Per(2, timedelta(days=1)))
    assert channels.limits("push") is None
