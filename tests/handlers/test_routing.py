"""Handlers chosen per channel by the configuration, built-ins and plugins alike."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from flowctl.config.settings import Config, ConfigError, load_config
from flowctl.effects import ContactUpdate, GoalReached, HttpCall, OtherEffect, SendMessage
from flowctl.errors import PluginError
from flowctl.handlers.base import DELIVERED, RETRY
from flowctl.handlers.http import Http
from flowctl.handlers.outbox import Outbox
from flowctl.handlers.registry import HandlerRegistry
from flowctl.handlers.routing import ChannelHandlers, build_handlers
from flowctl.handlers.smtp import Smtp
from tests.handlers.conftest import delivery
from tests.plugins.installing import fake_distribution, pip_install

Configure = Callable[..., ChannelHandlers]
PLUGIN = Path(__file__).parent.parent / "plugins" / "flowctl-memo"


def test_the_builtins_register_through_the_entry_point_group(registry: HandlerRegistry) -> None:
    assert registry.names() == ["http", "outbox", "smtp"]
    for registration in registry.registrations():
        assert registration.distribution == "flowctl"
    assert registry.get("smtp") is Smtp and registry.get("nope") is None


def test_without_configuration_everything_goes_to_one_outbox(
    registry: HandlerRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with build_handlers(Config(), registry, {}) as handlers:
        (outbox,) = list(handlers)
        assert isinstance(outbox, Outbox)
        assert outbox.path == tmp_path / ".flowctl" / "outbox.jsonl"
        for channel in ("email", "sms", "push", "webhook", "http", "default", "slack"):
            assert handlers.for_channel(channel) is outbox
    assert not (tmp_path / ".flowctl").exists()  # nothing delivered, nothing made


def test_each_channel_gets_its_configured_handler(configure: Configure, tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    handlers = configure(
        '[tool.flowctl.channels.email]\nhandler = "smtp"\nhost = "mail.example.com"\n'
        'from = "news@example.com"\n'
        '[tool.flowctl.channels.http]\nhandler = "http"\n'
        '[tool.flowctl.channels.push]\nhandler = "outbox"\n'
    )
    email = handlers.for_effect(SendMessage("email", "t", "c"))
    assert isinstance(email, Smtp) and (email.host, email.port) == ("mail.example.com", 587)
    assert isinstance(handlers.for_effect(HttpCall("GET", "https://x", "10s")), Http)
    outbox = handlers.for_effect(SendMessage("sms", "t", "c"))
    assert isinstance(outbox, Outbox)
    for effect in (ContactUpdate({"a": 1}), GoalReached("g"), OtherEffect("slack", {})):
        assert handlers.for_effect(effect) is outbox
    assert handlers.for_channel("push") is outbox
    assert len(list(handlers)) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[tool.flowctl.channels.email]\nhandler = "smpt"\n',
            "channels.email.handler: unknown handler 'smpt'; did you mean 'smtp'?",
        ),
        (
            '[tool.flowctl.channels.email]\nhandler = "carrier-pigeon"\n',
            "channels.email.handler: unknown handler 'carrier-pigeon'; installed handlers: "
            "http, outbox, smtp",
        ),
        (
            '[tool.flowctl.channels.email]\nhandler = "smtp"\nfrom = "a@b.c"\n',
            "channels.email.host: is required",
        ),
        (
            '[tool.flowctl.channels.email]\nhandler = "smtp"\nhost = "h"\nfrom = "nobody"\n',
            'channels.email.from: must be an address such as "Shop <news@example.com>", not '
            "'nobody'",
        ),
        (
            '[tool.flowctl.channels.email]\nhandler = "smtp"\nhost = "h"\nfrom = "a@b.c"\n'
            'port = "25"\n',
            "channels.email.port: must be an integer from 1 to 65535, not '25'",
        ),
        (
            '[tool.flowctl.channels.email]\nhandler = "smtp"\nhost = "h"\nfrom = "a@b.c"\n'
            'security = "tls"\n',
            'channels.email.security: must be "starttls" or "ssl" or "none", not \'tls\'',
        ),
        (
            '[tool.flowctl.channels.email]\nhandler = "smtp"\nhost = "h"\nfrom = "a@b.c"\n'
            'templates = "mails"\n',
            "channels.email.templates: {root}/mails is not a directory",
        ),
        (
            '[tool.flowctl.channels.email]\nhandler = "smtp"\nhost = ""\nfrom = "a@b.c"\n',
            "channels.email.host: must be a non-empty string, not ''",
        ),
    ],
)
def test_handler_options_are_checked_when_the_handlers_are_built(
    configure: Configure, tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "templates").mkdir()
    with pytest.raises(ConfigError) as caught:
        configure(text)
    assert str(caught.value) == "pyproject.toml: tool.flowctl." + message.format(root=tmp_path)
    assert caught.value.exit_code == 2


def test_an_exception_escaping_a_handler_is_a_retry(
    memo_registry: HandlerRegistry, tmp_path: Path
) -> None:
    handlers = configured(memo_registry, tmp_path, 'handler = "memo"\npath = "m"\nfail = "boom"\n')
    result = handlers.deliver(delivery(SendMessage("push", "t", "c")))
    assert (result.status, result.error) == (RETRY, "RuntimeError: boom")


# --- a third-party handler --------------------------------------------------------------------


@pytest.fixture(scope="module")
def installed_memo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pip_install(PLUGIN, tmp_path_factory.mktemp("site"))


@pytest.fixture
def memo_registry(
    installed_memo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> HandlerRegistry:
    monkeypatch.syspath_prepend(str(installed_memo))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FLOWCTL_CACHE_DIR", str(tmp_path / "cache"))
    return HandlerRegistry.from_entry_points()


def configured(registry: HandlerRegistry, directory: Path, push_table: str) -> ChannelHandlers:
    path = directory / ".flowctl.toml"
    path.write_text("[channels.push]\n" + push_table)
    return build_handlers(load_config(path), registry, {})


def test_a_plugin_handler_chosen_by_the_configuration_performs_the_effects(
    memo_registry: HandlerRegistry, tmp_path: Path
) -> None:
    registration = memo_registry.registration("memo")
    assert registration is not None and registration.distribution == "flowctl-memo"
    with configured(memo_registry, tmp_path, 'handler = "memo"\npath = "memo.txt"\n') as handlers:
        result = handlers.deliver(delivery(SendMessage("push", "generic_xsell", "c-1001")))
        assert result.status == DELIVERED
        assert isinstance(handlers.for_channel("email"), Outbox)
    assert (tmp_path / "memo.txt").read_text() == "r-1:thank_you:1 send push\n"


def test_a_plugin_handlers_unknown_key_is_named_with_its_keys(
    memo_registry: HandlerRegistry, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        configured(memo_registry, tmp_path, 'handler = "memo"\npath = "m"\ncolour = "red"\n')
    assert str(caught.value) == (
        ".flowctl.toml: channels.push.colour: unknown key; the memo handler's keys are fail, path"
    )


def fake_handler(site: Path, name: str, entry: str, module: str, code: str) -> HandlerRegistry:
    fake_distribution(site, name, entry, module, code, group="flowctl.handlers")
    return HandlerRegistry.from_entry_points()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "site"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    monkeypatch.setenv("FLOWCTL_CACHE_DIR", str(tmp_path / "cache"))
    return directory


def test_a_handler_plugin_that_fails_to_import_names_its_distribution(site: Path) -> None:
    registry = fake_handler(
        site, "flowctl-fax", "fax = fax_handler:Fax", "fax_handler", "import no_such_module_x\n"
    )
    assert "fax" in registry.names()  # listing imports nothing
    with pytest.raises(PluginError) as caught:
        registry.get("fax")
    assert str(caught.value) == (
        "handler plugin 'fax' (fax_handler:Fax) from distribution 'flowctl-fax' failed to "
        "import: ModuleNotFoundError: No module named 'no_such_module_x'"
    )
    assert caught.value.exit_code == 2


def test_an_incomplete_or_misnamed_handler_plugin_is_named(site: Path) -> None:
    registry = fake_handler(
        site,
        "flowctl-odd",
        "odd = odd_handler:Odd\nmisnamed = odd_handler:Named",
        "odd_handler",
        "class Odd:\n    name = 'odd'\n"
        "class Named:\n    name = 'other'\n    options = {}\n"
        "    @classmethod\n    def from_config(cls, *args): return cls()\n",
    )
    with pytest.raises(PluginError, match="is incomplete: it needs an `options` mapping"):
        registry.get("odd")
    with pytest.raises(PluginError, match="defines handler 'other'; the entry point must have"):
        registry.get("misnamed")


def test_two_distributions_claiming_one_handler_name_is_a_clear_error(site: Path) -> None:
    with pytest.raises(PluginError) as caught:
        fake_handler(
            site,
            "flowctl-outbox2",
            "outbox = outbox2:Outbox",
            "outbox2",
            "from flowctl.handlers.outbox import Outbox\n",
        )
    assert "handler 'outbox' is registered twice" in str(caught.value)
    assert "'flowctl'" in str(caught.value) and "'flowctl-outbox2'" in str(caught.value)
