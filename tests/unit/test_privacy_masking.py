"""Masking helpers and the log record factory that keeps ID and phone numbers out of logs."""

from __future__ import annotations

import logging

from app.privacy import mask_id_card, mask_name, mask_phone, mask_text
from app.security import install_log_masking

ID_NUMBER = "640202199001011234"


def test_masks():
    assert mask_id_card(ID_NUMBER) == "640202********1234"
    assert mask_phone("13912345678") == "139****5678"
    assert mask_name("张三明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_text(f"业主{ID_NUMBER}，电话13912345678") == (
        "业主640202********1234，电话139****5678"
    )


def test_log_records_are_masked_in_message_arguments_and_traceback(caplog):
    install_log_masking()
    install_log_masking()  # idempotent
    log = logging.getLogger("app.some.module")
    with caplog.at_level(logging.INFO):
        log.info("citizen %s called from %s", ID_NUMBER, "13912345678")
        try:
            raise ValueError(f"bad row {ID_NUMBER}")
        except ValueError:
            log.exception("import failed")
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert ID_NUMBER not in text and "13912345678" not in text
    assert "640202********1234" in text and "139****5678" in text
    assert "ValueError" in text
