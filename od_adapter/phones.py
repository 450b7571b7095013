"""Matching a WhatsApp id to the phone numbers an office typed into Open Dental.

Offices store phones verbatim ("(503)555-1234", "503-555-1234", "5035551234"), and a WhatsApp id can differ from
the stored number for the same subscriber: Brazilian mobiles with or without the ninth digit, Mexican mobiles
with or without the `1` after the country code, Argentinian mobiles with or without the `9`.
"""

from __future__ import annotations

import os

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat


class InvalidPhoneNumber(ValueError):
    """The WhatsApp id is not a phone number."""


def parse_whatsapp_id(wa_id: str) -> PhoneNumber:
    """Parse a WhatsApp id (digits, country code first, no plus sign) or an E.164 string."""
    digits = "".join(ch for ch in wa_id if ch.isdecimal())
    if not 7 <= len(digits) <= 15:
        raise InvalidPhoneNumber("not a phone number")
    try:
        return phonenumbers.parse("+" + digits, None)
    except NumberParseException as exc:
        raise InvalidPhoneNumber("not a phone number") from exc


def _e164(country_code: int, national: str) -> str:
    return f"+{country_code}{national}"


def equivalent_numbers(wa_id: str) -> set[str]:
    """Every E.164 form under which this subscriber may be stored."""
    number = parse_whatsapp_id(wa_id)
    cc, nsn = number.country_code, phonenumbers.national_significant_number(number)
    if cc is None:  # parse() of a "+" number always sets it; the type says it may be missing
        raise InvalidPhoneNumber("not a phone number")
    forms = {_e164(cc, nsn)}
    if cc == 55 and len(nsn) == 10 and nsn[2] in "6789":
        forms.add(_e164(cc, nsn[:2] + "9" + nsn[2:]))
    elif cc == 55 and len(nsn) == 11 and nsn[2] == "9":
        forms.add(_e164(cc, nsn[:2] + nsn[3:]))
    elif cc == 52 and len(nsn) == 11 and nsn.startswith("1"):
        forms.add(_e164(cc, nsn[1:]))
    elif cc == 52 and len(nsn) == 10:
        forms.add(_e164(cc, "1" + nsn))
    elif cc == 54 and len(nsn) == 11 and nsn.startswith("9"):
        forms.add(_e164(cc, nsn[1:]))
    elif cc == 54 and len(nsn) == 10:
        forms.add(_e164(cc, "9" + nsn))
    return forms


def search_digits(wa_id: str) -> str:
    """The digits to send as `Phone` so that Open Dental's substring match finds every equivalent form.

    Open Dental matches the digits anywhere in a stored phone, so the longest tail that all forms share finds
    them all with one request; results are then filtered exactly with `matches`.
    """
    nationals = [
        phonenumbers.national_significant_number(phonenumbers.parse(form, None))
        for form in equivalent_numbers(wa_id)
    ]
    reversed_tails = [n[::-1] for n in nationals]
    return os.path.commonprefix(reversed_tails)[::-1]  # noqa: RUF071 -- character-wise on digit strings


def normalise_stored(stored: str, region: str) -> str | None:
    """The E.164 form of a phone as the office typed it, read in the practice's country; None if unreadable."""
    if sum(ch.isdecimal() for ch in stored) < 7:
        return None
    try:
        number = phonenumbers.parse(stored, region)
    except NumberParseException:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def matches(stored: str, wa_id: str, region: str) -> bool:
    """True when a stored phone is the same subscriber as the WhatsApp id."""
    normalised = normalise_stored(stored, region)
    return normalised is not None and normalised in equivalent_numbers(wa_id)


def canonical_number(wa_id: str) -> PhoneNumber:
    """The form the numbering plan considers valid today (Brazil's ninth digit, no Mexican `1`)."""
    original = parse_whatsapp_id(wa_id)
    if phonenumbers.is_valid_number(original):
        return original
    for form in sorted(equivalent_numbers(wa_id)):
        candidate = phonenumbers.parse(form, None)
        if phonenumbers.is_valid_number(candidate):
            return candidate
    return original


def format_for_practice(wa_id: str, region: str) -> str:
    """National format for the practice's own country, international format for foreign numbers."""
    number = canonical_number(wa_id)
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
