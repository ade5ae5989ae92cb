"""Logging set-up: per-job and per-request chatter of libraries stays out of the logs."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator

import pytest

from crisis.logs import CHATTY_LOGGERS, configure_logging


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in CHATTY_LOGGERS}
    yield
    root.handlers[:], root.level = handlers, level
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


@pytest.mark.usefixtures("restore_logging")
def test_info_keeps_library_chatter_out_but_debug_shows_it() -> None:
    configure_logging("json", "INFO")
    assert not logging.getLogger("rq.worker").isEnabledFor(logging.INFO)  # "Job OK" per job
    assert not logging.getLogger("twilio.http_client").isEnabledFor(logging.INFO)
    assert logging.getLogger("rq.worker").isEnabledFor(logging.WARNING)  # failures still show
    assert logging.getLogger("channels.desk").isEnabledFor(logging.INFO)
    configure_logging("json", "DEBUG")
    assert logging.getLogger("twilio.http_client").isEnabledFor(logging.INFO)


@pytest.mark.usefixtures("restore_logging")
def test_a_library_that_sets_its_own_logger_to_debug_stays_quiet_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    importlib.import_module("bm25s")  # it sets logging.getLogger("bm25s") to DEBUG on import
    configure_logging("json", "INFO")
    logging.getLogger("bm25s").debug("Building index from IDs objects")
    logging.getLogger("channels.desk").info("kept")
    err = capsys.readouterr().err
    assert "Building index" not in err and "kept" in err
