"""Bookable options and their ids.

An option is one concrete opening: a start, an operatory, a provider and an appointment type. The conversation
only ever holds its id; booking takes the id, never a free-form time, so nothing but `od_adapter` decides what
can be booked. The id encodes the option and an HMAC under a server secret over the practice and the option,
so an id that was edited, made up, or issued for another practice is refused. Knowing the practice's public
`phone_number_id` is not enough to forge one. Keys rotate: ids are signed with the first key and accepted under
any of the keys given, so the previous key keeps working while offers made with it are still open. The id stays
well under WhatsApp's 200-character row id limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from od_adapter.errors import InvalidOption

ID_PREFIX = "o1"
_MAC_BYTES = 9


class Option(BaseModel):
    """One opening offered to a patient. Times are office-local, as Open Dental's."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    minutes: int
    op: int
    prov_num: int
    """The provider whose time the visit takes: the dentist, or the hygienist on hygiene visits."""
    appointment_type_num: int
    hygiene: bool = False

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    def id_for(self, practice_id: str, key: bytes) -> str:
        """The option's id for this practice, signed with `key` (the current one)."""
        payload = (
            f"{self.start:%Y%m%d%H%M}.{self.minutes}.{self.op}.{self.prov_num}.{self.appointment_type_num}"
        )
        payload += ".h" if self.hygiene else ""
        return f"{ID_PREFIX}.{payload}.{_mac(key, practice_id, payload)}"


def check_keys(keys: Sequence[bytes]) -> list[bytes]:
    """The keys as a list, refusing none or an empty one (an empty key would make ids forgeable again)."""
    if not keys or not all(keys):
        raise ValueError("option ids need at least one non-empty key")
    return list(keys)


def _mac(key: bytes, practice_id: str, payload: str) -> str:
    digest = hmac.new(key, f"{practice_id}:{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode()


def parse_option_id(option_id: str, practice_id: str, keys: Sequence[bytes]) -> Option:
    """Decode an option id issued for this practice under any of `keys`, or raise InvalidOption."""
    parts = option_id.split(".")
    if len(parts) not in (7, 8) or parts[0] != ID_PREFIX:
        raise InvalidOption("not an option id")
    payload, mac = ".".join(parts[1:-1]), parts[-1]
    # Every key is tried, so the time taken does not tell which key (if any) nearly matched.
    matches = [hmac.compare_digest(mac, _mac(key, practice_id, payload)) for key in check_keys(keys)]
    if not any(matches):
        raise InvalidOption("option id is not valid for this practice")
    fields = payload.split(".")
    try:
        return Option(
            start=datetime.strptime(fields[0], "%Y%m%d%H%M"),
            minutes=int(fields[1]),
            op=int(fields[2]),
            prov_num=int(fields[3]),
            appointment_type_num=int(fields[4]),
            hygiene=len(fields) == 6 and fields[5] == "h",
        )
    except ValueError as exc:
        raise InvalidOption("malformed option id") from exc
