"""The offer as WhatsApp carries it outside the 24-hour window: the practice's template, its six parameters in
the patient's language, Yes / No payloads naming the offer, and no sending once the opening is within the lead
time."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.conversation.reminder_messages import cue_body
from bot.practices import ReminderTemplate
from bot.records.outbox import EXPIRES_FIELD, FALLBACK_FIELD
from flows.context import Cue
from flows.state import Offered
from tests.reminders.test_scheduler import DEMO

OFFER = Offered(id="off-1", pat_num=5, apt_num=50, start=datetime(2026, 12, 8, 14, 0), current=datetime(2026, 12, 21, 9, 0), provider="Emily", first_name="Ana")  # fmt: skip
PRACTICE = DEMO.model_copy(update={"refill": DEMO.refill.model_copy(update={"template": ReminderTemplate(name="opening_offer", languages={"en": "en_US", "es": "es_MX"})})})  # fmt: skip


def test_the_offer_falls_back_to_its_template_with_six_parameters_and_two_payloads() -> None:
    now = datetime(2026, 12, 8, 9, 0, tzinfo=PRACTICE.zone)
    body = cue_body({"type": "interactive"}, Cue(offer=OFFER), PRACTICE, "es", "+15035550000", now)
    template = body[FALLBACK_FIELD]["template"]
    assert (template["name"], template["language"]["code"]) == ("opening_offer", "es_MX")
    texts = [p["text"] for c in template["components"] if c["type"] == "body" for p in c["parameters"]]
    assert texts[0] == "Ana" and texts[3] == "Emily" and texts[4] == PRACTICE.name and len(texts) == 6
    assert "dic" in texts[1] and "dic" in texts[5], "the days in the patient's language"
    payloads = [c["parameters"][0]["payload"] for c in template["components"] if c["type"] == "button"]
    assert payloads == ["fill:off-1:yes", "fill:off-1:no"]
    assert body[EXPIRES_FIELD] == (now + timedelta(seconds=PRACTICE.refill.ttl_seconds)).timestamp()


def test_the_offer_is_not_sent_later_than_the_lead_time_before_the_opening() -> None:
    now = datetime(2026, 12, 8, 11, 30, tzinfo=PRACTICE.zone)
    body = cue_body({"type": "interactive"}, Cue(offer=OFFER), PRACTICE, "en", "+15035550000", now)
    last = OFFER.start.replace(tzinfo=PRACTICE.zone) - timedelta(minutes=PRACTICE.refill.lead_minutes)
    assert body[EXPIRES_FIELD] == last.timestamp()
