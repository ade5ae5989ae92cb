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


def test_sends_are_paced_per_sender_and_per_account_when_set(env: dict[str, str]) -> None:
    from crisis.ports import Pace
    from crisis.types import ChannelKind, OutboundMessage

    message = OutboundMessage(channel=ChannelKind.SMS, address="+33612345678", text="x",
                              conversation_id="c", message_id="m")
    alone = TwilioSms(load_settings({**env, "TWILIO_MESSAGES_PER_SECOND": "5"}))
    assert alone.pacing(message) == (Pace("sms:+33700000000", 5),)
    account = TwilioSms(load_settings({**env, "TWILIO_MESSAGES_PER_SECOND": "5",
                                       "TWILIO_ACCOUNT_MESSAGES_PER_SECOND": "40"}))
    assert account.pacing(message) == (Pace("sms:+33700000000", 5), Pace("sms-account", 40))
