"""Logging set-up: JSON lines when stderr is not a terminal, readable lines when it is.

Structured fields go in `extra={...}`; they appear as JSON keys or as `key=value` pairs.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class ReadableFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _extras(record).items())
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {record.getMessage()}"
        line = f"{line}  {fields}" if fields else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(fmt: str = "auto", level: str = "INFO") -> None:
    """Set the root handler once per process (`fmt`: auto, json or text)."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if use_json else ReadableFormatter())
    # The handler keeps the level too: some libraries set their own logger to DEBUG on import
    # (bm25s does), which the root's level alone would not hold back.
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log repeats what the metrics say, one line per request: too loud.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(chatty_level(level))


# Libraries that write several info lines per unit of work: RQ per job (started, OK, result
# kept), the twilio client per request (eleven lines with headers). In a surge that is a
# hundred thousand lines a minute burying what matters. Their warnings and errors are kept;
# at `debug` everything shows. httpx (under python-telegram-bot) logs each request's URL,
# and a Bot API URL holds the bot's token: one more reason to keep it quiet.
CHATTY_LOGGERS = ("rq.worker", "rq.queue", "rq.job", "twilio.http_client", "httpx")


def chatty_level(level: str) -> str:
    """The level for CHATTY_LOGGERS at `level` (RQ's `Worker.work` takes it too: it sets its
    own logger's level)."""
    return "DEBUG" if level.upper() == "DEBUG" else "WARNING"
