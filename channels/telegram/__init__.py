"""The Telegram channel: a bot whose webhook brings citizens' messages and button presses,
answered through the Bot API (adapter.TelegramBot, listed in channels/adapters.py)."""
