"""Every patient-facing message, in English, keyed by name: the source `pybabel extract` reads.

`N_(key, text)` and `NP_(key, singular, plural)` only mark text for extraction (the key becomes the gettext
context); translations live in `locales/<lang>/LC_MESSAGES/messages.po`. The workflow (add, extract, translate,
check) is in `docs/understanding.md`, "Messages and catalogs".
"""

from __future__ import annotations

from typing import NamedTuple


class Source(NamedTuple):
    key: str
    text: str
    plural: str | None = None


def N_(key: str, text: str) -> Source:
    return Source(key, text)


def NP_(key: str, singular: str, plural: str) -> Source:
    """A message that changes with `{count}` (the catalog holds every plural form of each language)."""
    return Source(key, singular, plural)


SOURCES: tuple[Source, ...] = (
    N_("greeting", "Hi! I'm the booking assistant of {practice}. What would you like to do?"),
    N_("reset", "OK, let's start over. What would you like to do?"),
    N_("fallback", "Sorry, I didn't understand. I can book, move or cancel an appointment, tell you about {topics}, or pass you to a person (just write \"person\")."),
    N_("fallback.giving_up", "I'm sorry I keep misunderstanding you."),
    N_("welcome", "You're welcome! Write any time."),
    N_("handoff", "I've asked a member of our team to reply to you here as soon as possible."),
    N_("handoff.closed", "I've passed your message to our team. The office is closed now, so they will reply here from {when}."),
    N_("od_unavailable.staff", "Sorry, our booking system isn't answering, so I can't finish this myself."),
    N_("emergency", "If you have severe pain, swelling, bleeding or a broken tooth, please call us now at {phone}. If it is life-threatening, call {emergency_number}."),
    N_("info.answer", "{answer}"),
    N_("info.topics", "I can tell you about: {topics}."),
    N_("ask.who", "Who is the visit for? Please type their first name and date of birth."),
    N_("ask.who_again", "I couldn't match that name. Please type the first name and date of birth (for example: Leo 06/25/2013)."),
    N_("ask.details", "Welcome! To book your first visit, please send the patient's first and last name and date of birth (for example: Nadia Brook 09/23/1991)."),
    N_("ask.details_missing", "Thanks. I still need the first and last name and the date of birth."),
    N_("ask.details_birthdate", "Thanks. I still need the date of birth."),
    N_("ask.details_name", "Thanks. I still need the first name."),
    N_("ask.details_last_name", "Thanks. I still need the last name."),
    N_("details.read_back", "Please check the details for the new chart: {name}, born {birthdate}. Are they right?"),
    N_("details.saved", "Your details are saved on a new chart."),
    N_("details.again", "No problem. Please send the first and last name and the date of birth again."),
    N_("ask.kind", "What kind of visit do you need?"),
    N_("ask.which", "Which appointment?"),
    N_("ask.which_again", "Please choose one of the appointments in the list."),
    NP_("offer.list", "Here is the time I found. Pick it, or tell me another day or time.",
        "Here are the {count} times I found. Pick one, or tell me another day or time."),
    N_("offer.none", "I couldn't find a free time for that. Tell me another day or time, or say \"as soon as possible\"."),
    N_("offer.exact_taken", "That exact time isn't free."),
    N_("offer.searched.day", "Nothing is free on {day}."),
    N_("offer.searched.day_part", "Nothing is free on {day} {part}."),
    N_("offer.searched.range", "Nothing is free from {start} to {end}."),
    N_("offer.searched.range_part", "Nothing is free from {start} to {end} {part}."),
    N_("offer.searched.part", "Nothing is free {part} in the coming weeks."),
    N_("offer.few", "That is all that matches what you asked; the closest other times are in the list too."),
    N_("offer.nearest", "These are the closest free times: pick one, or tell me another day or time."),
    N_("part.morning", "in the morning"),
    N_("part.afternoon", "in the afternoon"),
    N_("part.evening", "in the evening"),
    N_("topic.hours", "our hours"),
    N_("topic.address", "our address"),
    N_("topic.parking", "parking"),
    N_("topic.insurance", "insurance"),
    N_("topic.bring", "what to bring"),
    N_("offer.stale", "That list is out of date, so here is what is free now."),
    N_("row.option", "{when}"),
    N_("row.option_detail", "{provider} · {minutes} min"),
    N_("confirm.book", "{kind} on {when} with {provider}. Shall I book it?"),
    N_("confirm.book_for", "{kind} for {name} on {when} with {provider}. Shall I book it?"),
    N_("offer.new_patient_exam", "As this is the first visit, it will be a new patient exam."),
    N_("confirm.reschedule", "Move your appointment to {when} with {provider}?"),
    N_("booked", "Booked! {when} with {provider}. See you then."),
    N_("booked_for", "Booked for {name}! {when} with {provider}. See you then."),
    N_("rescheduled", "Done: your appointment is now on {when} with {provider}."),
    N_("taken", "Sorry, that time was just taken."),
    N_("replay.lapsed", "That booking is no longer in our book: it was cancelled or moved since. Tell me a day or time and I'll find you a new one."),
    N_("confirm.stale", "That button belongs to an earlier question, so I haven't changed anything. Here is where we are:"),
    N_("confirm.stale_menu", "That button belongs to an earlier question, so I haven't changed anything. What would you like to do?"),
    N_("ok.other_time", "No problem. Which other time would suit you?"),
    N_("kept", "OK, I haven't changed anything."),
    N_("none_upcoming", "I can't find an upcoming appointment for this number."),
    N_("cancel.ask", "Cancel your appointment on {when}?"),
    N_("cancelled", "Your appointment on {when} is cancelled. Write any time to book again."),
    N_("confirmed", "Thank you! Your appointment on {when} is confirmed."),
    N_("reschedule.current", "Your appointment is on {when}."),
    N_("od_unavailable", "Sorry, our booking system isn't answering right now. Please try again in a few minutes."),
    N_("unsupported", "Sorry, I can only read text messages and taps on buttons. Could you type what you need?"),
    N_("turn.sorry", "Sorry, something went wrong on my side. Let's carry on from here:"),
    N_("turn.sorry_menu", "Sorry, something went wrong on my side. Please choose below, or ask for a person to reach our team."),
    N_("turn.sorry_after", "Sorry, something went wrong on my side after that. What else can I do for you?"),
    N_("turn.sorry_retry", "Sorry, something went wrong on my side with your last message. Please send it again in a minute, or ask for a person to reach our team."),
    N_("turn.sorry_staff", "Sorry, something keeps going wrong on my side, so I've asked our team to help."),
    N_("language.switched", "Sure, I'll write in English from now on."),
    N_("button.book", "Book"),
    N_("button.reschedule", "Reschedule"),
    N_("button.cancel", "Cancel a visit"),
    N_("button.menu_confirm", "Confirm my visit"),
    N_("button.yes", "Yes, book it"),
    N_("button.no", "No"),
    N_("button.other_times", "Other times"),
    N_("button.yes_cancel", "Yes, cancel"),
    N_("button.no_keep", "No, keep it"),
    N_("button.details_right", "Yes, that's right"),
    N_("button.details_fix", "No, fix it"),
    N_("button.see_times", "See times"),
    N_("button.choose", "Choose"),
    N_("reminder.ask", "Hi {name}, this is {practice}: a reminder of your appointment on {when} with {provider}. Can you confirm you'll come?"),
    N_("reminder.today", "Hi {name}, this is {practice}: see you today at {when} with {provider}. Reply here if you need to change it."),
    N_("reminder.plain", "Hi {name}, this is {practice}: a reminder of your appointment on {when} with {provider}. Reply here if you need to change it."),
    N_("reminder.unknown", "I can't find that reminder for this number, so I haven't changed anything."),
    N_("reminder.passed", "That appointment ({when}) has already begun, so I haven't changed anything."),
    N_("reminder.gone", "The appointment that reminder was about ({when}) is no longer in our book, so I haven't changed anything."),
    N_("reminder.moved", "That visit changed: it is now on {when}, not {before}. I haven't changed anything."),
    N_("reminder.declined", "No problem. Would you like to move the appointment or cancel it?"),
    N_("menu.more", "What would you like to do?"),
    N_("optout.stopped", "Done: {practice} will send you no more reminders here. Write START any time to get them again."),
    N_("optout.already_stopped", "You already get no reminders from {practice} here. Write START any time to get them again."),
    N_("optout.started", "Done: {practice} will send you reminders here again. Write STOP any time to stop them."),
    N_("optout.already_started", "Reminders from {practice} are on. Write STOP any time to stop them."),
    N_("button.confirm_visit", "Confirm"),
    N_("button.change_visit", "Change"),
    N_("button.cancel_visit", "Cancel"),
    N_("refill.offer", "Hi {name}, this is {practice}: a time opened up on {when} with {provider}, earlier than your appointment on {current}. Would you like it instead?"),
    N_("refill.taken", "Sorry, someone else just took that time. Your appointment stays as it was."),
    N_("refill.expired", "Sorry, that time is no longer available. Your appointment stays as it was."),
    N_("refill.unknown", "I can't find that offer for this number, so I haven't changed anything."),
    N_("refill.declined", "No problem: your appointment on {current} stays as it is."),
    N_("button.take_opening", "Yes, move me"),
    N_("button.decline_opening", "No, thanks"),
    N_("kind.cleaning", "Cleaning"),
    N_("kind.consultation", "Check-up"),
    N_("kind.emergency", "Emergency visit"),
    N_("kind.new_patient", "New patient exam"),
    N_("kind.visit", "Visit"),
)  # fmt: skip
