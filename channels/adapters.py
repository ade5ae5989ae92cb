"""The adapter table: which object speaks for each channel (the Home Assistant platform idea).

Built in the composition root (channels/__init__.py for the web process, channels/outbound.py
for a worker) from the settings: a channel whose credentials are missing is simply absent,
and its messages are recorded as failed, not lost silently. Nothing else in the contact centre
branches on the channel to receive or send: the webhooks (channels/webhooks.py), the desk's
Outbox and the reply job look the adapter up here.

Adding a channel: its adapter in channels/<kind>/adapter.py implementing
crisis.ports.ChannelAdapter, one line below, one case in tests/channels/test_adapter_contract.py.
"""

from __future__ import annotations

from channels.sms.adapter import TwilioSms
from crisis.ports import ChannelAdapter
from crisis.settings import Settings
from crisis.types import ChannelKind


def provider_adapters(settings: Settings) -> dict[ChannelKind, ChannelAdapter]:
    """The channels that reach citizens through a provider (sent by the reply job)."""
    table: dict[ChannelKind, ChannelAdapter] = {}
    if settings.twilio_enabled:
        table[ChannelKind.SMS] = TwilioSms(settings)
    if settings.telegram_enabled:
        from channels.telegram.adapter import TelegramBot  # python-telegram-bot: when used

        table[ChannelKind.TELEGRAM] = TelegramBot(settings)
    if settings.smtp_relay is not None and settings.mail_from:
        from channels.email.adapter import EmailAdapter  # aiosmtplib: when used

        table[ChannelKind.EMAIL] = EmailAdapter(settings)
    return table
