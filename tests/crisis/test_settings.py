"""Settings: contract defaults, one-line errors naming every bad variable, secrets never print."""

from __future__ import annotations

from pathlib import Path

import pytest

from crisis.errors import ConfigError
from crisis.settings import VARIABLES, HostPort, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_the_contract_ones() -> None:
    settings = load_settings({})
    assert settings.data_dir == Path("var")
    assert settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.site_path == Path("var/site")
    assert settings.twilio_api_base == "https://api.twilio.com"
    assert settings.telegram_api_base == "https://api.telegram.org"
    assert settings.smtp_listen == HostPort("127.0.0.1", 2525)
    assert settings.smtp_relay is None
    assert not settings.twilio_enabled and not settings.telegram_enabled


def test_every_problem_is_reported_at_once_naming_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"CRISIS_PORT": "eighty", "REDIS_URL": "http://x", "CRISIS_SMTP_LISTEN": "nope"})
    message = str(caught.value)
    assert "CRISIS_PORT='eighty': must be a whole number" in message
    assert "REDIS_URL" in message and "CRISIS_SMTP_LISTEN" in message
    assert "\n" not in message


def test_port_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="CRISIS_PORT='70000'"):
        load_settings({"CRISIS_PORT": "70000"})


def test_twilio_needs_both_credentials() -> None:
    with pytest.raises(ConfigError, match="TWILIO_AUTH_TOKEN: required"):
        load_settings({"TWILIO_ACCOUNT_SID": "AC123"})


def test_answering_in_the_browser_needs_the_key_the_secret_and_the_app_together() -> None:
    twilio = {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "token"}
    assert not load_settings(twilio).browser_phone_enabled
    with pytest.raises(ConfigError, match="TWILIO_API_KEY_SECRET, TWILIO_TWIML_APP_SID: req"):
        load_settings({**twilio, "TWILIO_API_KEY_SID": "SK1"})
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID: required to answer calls"):
        load_settings({"TWILIO_API_KEY_SID": "SK1", "TWILIO_API_KEY_SECRET": "s",
                       "TWILIO_TWIML_APP_SID": "AP1"})
    settings = load_settings({**twilio, "TWILIO_API_KEY_SID": "SK1",
                              "TWILIO_API_KEY_SECRET": "key-secret", "TWILIO_TWIML_APP_SID": "AP1"})
    assert settings.browser_phone_enabled and "key-secret" not in repr(settings)


def test_secrets_never_print() -> None:
    settings = load_settings({"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "hunter2-token",
                              "CRISIS_SECRET_KEY": "very-secret"})
    assert "hunter2" not in repr(settings) and "very-secret" not in repr(settings)
    assert settings.twilio_auth_token is not None
    assert settings.twilio_auth_token.reveal() == "hunter2-token"


def test_empty_values_count_as_unset() -> None:
    assert load_settings({"CRISIS_PORT": "", "REDIS_URL": " "}).port == 8080


@pytest.mark.parametrize("url", ["redis://h:6379/0", "rediss://h:6380", "unix:///tmp/r.sock",
                                 "redis+sentinel://h:26379/mymaster"])
def test_supported_redis_urls(url: str) -> None:
    assert load_settings({"REDIS_URL": url}).redis_url == url


def test_every_variable_is_documented() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name, _field, _parse in VARIABLES if f"`{name}`" not in docs]
    assert not missing, f"undocumented settings: {missing}"


def test_the_time_zone_of_the_pages_is_paris_unless_set() -> None:
    assert load_settings({}).zone.key == "Europe/Paris"
    assert load_settings({"CRISIS_TIMEZONE": "America/Cayenne"}).zone.key == "America/Cayenne"
    for wrong in ("Mars/Olympus", "Europe", "/etc/localtime", "../Paris"):
        with pytest.raises(ConfigError, match="CRISIS_TIMEZONE=.*IANA time zone"):
            load_settings({"CRISIS_TIMEZONE": wrong})


def test_the_events_processes_cpu_floor() -> None:
    assert load_settings({}).events_cpu_floor == 0.25
    assert load_settings({"CRISIS_EVENTS_CPU_FLOOR": "0.5"}).events_cpu_floor == 0.5
    assert load_settings({"CRISIS_EVENTS_CPU_FLOOR": "OFF"}).events_cpu_floor is None
    for wrong in ("0", "-1", "half", "100"):
        with pytest.raises(ConfigError, match="CRISIS_EVENTS_CPU_FLOOR"):
            load_settings({"CRISIS_EVENTS_CPU_FLOOR": wrong})


def test_the_choices_offered_with_a_queue_notice() -> None:
    assert load_settings({}).kb_choices == 3
    assert load_settings({"CRISIS_KB_CHOICES": "0"}).kb_choices == 0  # no menu
    for wrong in ("6", "-1", "trois"):
        with pytest.raises(ConfigError, match="CRISIS_KB_CHOICES"):
            load_settings({"CRISIS_KB_CHOICES": wrong})
