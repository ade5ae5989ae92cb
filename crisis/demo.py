"""`crisis up --demo`: demo accounts and one live demo crisis, created only when absent."""

from __future__ import annotations

import secrets
import socket

from crisis.activation import activate_scenario
from crisis.context import Context
from crisis.errors import NotFound
from crisis.password_policy import generate_password
from crisis.settings import Settings
from crisis.types import Principal, Role

DEMO_ACCOUNTS = (("cell", Role.CELL), ("supervisor1", Role.SUPERVISOR),
                 ("operator1", Role.OPERATOR), ("operator2", Role.OPERATOR))
DEMO_SCENARIO = "inondation"
DEMO_AREAS = "75,92,93,94"
DEMO_TITLE = "Crue de la Seine en Île-de-France"
# The demo's own Mastodon instance, served by the centre (monitoring/demo_mastodon.py).
DEMO_MASTODON_PATH = "/demo/watch/mastodon"
DEMO_MASTODON_EVERY_S = "30"  # the shortest MASTODON_EVERY_S: the demo's line moves


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def demo_sandbox_env(settings: Settings) -> dict[str, str]:
    """Every channel the settings leave unconfigured, pointed at the centre's own sandbox:
    SMS (Twilio's REST API), Telegram (the Bot API) and e-mail (a listener on a free port,
    its relay kept by `crisis smtp`), so the demo's tour tries each without an account; and
    the watch's Mastodon source, when no instance is configured, pointed at the demo's own
    instance (hashtag timelines of the demo crisis's keywords; no token, so no search)."""
    env: dict[str, str] = {}
    if not settings.twilio_enabled:
        env.update(sandbox_twilio_env(settings.base_url))
    if not settings.telegram_enabled:
        env.update({"TELEGRAM_BOT_TOKEN": f"100000001:{secrets.token_urlsafe(27)}",
                    "TELEGRAM_WEBHOOK_SECRET": secrets.token_urlsafe(24),
                    "TELEGRAM_API_BASE": settings.base_url + "/sandbox/telegram"})
    if not settings.email_enabled and settings.smtp_relay is None:
        env.update({"CRISIS_MAIL_ACCEPT": "contact@demo.crise.local",
                    "CRISIS_MAIL_FROM": "Centre d'information (démo) <contact@demo.crise.local>",
                    "CRISIS_SMTP_LISTEN": f"127.0.0.1:{_free_port()}",
                    "CRISIS_SMTP_RELAY": f"127.0.0.1:{_free_port()}", "CRISIS_MAIL_SANDBOX": "1"})
    if not settings.mastodon_api_base:
        env["MASTODON_API_BASE"] = settings.base_url + DEMO_MASTODON_PATH
        if settings.mastodon_every_s == Settings.mastodon_every_s:  # the default: not chosen
            env["MASTODON_EVERY_S"] = DEMO_MASTODON_EVERY_S
    return env


def sandbox_twilio_env(base_url: str) -> dict[str, str]:
    """Twilio settings that point the SMS channel at the centre's own sandbox (no real SMS)."""
    return {"TWILIO_ACCOUNT_SID": "AC" + "d" * 32, "TWILIO_AUTH_TOKEN": secrets.token_hex(16),
            "TWILIO_FROM": "+33700000000", "TWILIO_API_BASE": base_url + "/sandbox/twilio"}


async def ensure_demo(ctx: Context, actor: Principal) -> dict[str, str]:
    """Create what is missing; returns the passwords of the accounts created now (shown once)."""
    created: dict[str, str] = {}
    for name, role in DEMO_ACCOUNTS:
        try:
            await ctx.accounts.get_account(name)
        except NotFound:
            password = generate_password(name)
            await ctx.accounts.create_account(name, role, password, actor=actor)
            created[name] = password
    if not await ctx.crises.list_live():
        await activate_scenario(ctx.crises, ctx.publications, DEMO_SCENARIO, areas=DEMO_AREAS,
                                level=2, actor=actor, title=DEMO_TITLE, reason="demo")
    return created
