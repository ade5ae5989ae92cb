"""Per-sender limits on what citizens send: chat messages per client address, SMS per number.

Counted in Redis (crisis/rate_limits.py), so the limit holds across every web process, and
checked before a message is stored: a flood from one address or one number is turned away
at the door and never fills the pipeline, the queue or the operators' screens that the other
citizens need. The refused sender is told what happens (channels/messages.py).
"""

from __future__ import annotations

from channels.addresses import citizen_id
from channels.keys import ChannelKeys
from crisis.context import Context
from crisis.rate_limits import Verdict, WindowLimit

WINDOW_S = 60


class InboundLimits:
    def __init__(self, ctx: Context, keys: ChannelKeys) -> None:
        self.secret = ctx.secret
        self.k = keys
        settings = ctx.settings
        self.chat = WindowLimit(ctx.redis, settings.chat_messages_per_ip_per_minute, WINDOW_S)
        self.sms = WindowLimit(ctx.redis, settings.sms_messages_per_number_per_minute, WINDOW_S)

    async def chat_message(self, address: str) -> Verdict:
        # The client address is personal data: the key holds a keyed hash of it.
        return await self.chat.hit(self.k.limit("chat-ip", citizen_id(self.secret, "ip:" + address)))

    async def sms_message(self, citizen: str) -> Verdict:
        return await self.sms.hit(self.k.limit("sms", citizen))
