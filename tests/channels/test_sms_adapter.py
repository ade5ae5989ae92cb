"""The SMS adapter refuses to start without its credentials: a clear configuration error,
checked in code (an `assert` would vanish under `python -O`)."""

from __future__ import annotations

import pytest

from channels.sms.adapter import TwilioSms
from crisis.errors import ConfigError
from crisis.settings import load_settings


def test_the_sms_adapter_without_credentials_is_a_config_error(env: dict[str, str]) -> None:
    settings = load_settings({k: v for k, v in env.items()
                              if k not in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")})
    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        TwilioSms(settings)
