"""The patient-facing messages in English and Spanish, and Babel formatting of dates and times.

Keys name the message; `{placeholders}` are named. (The languages issue moves these into gettext catalogs for
seven languages; the keys stay.)
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

MESSAGES: dict[str, dict[str, str]] = {
    "greeting": {"en": "Hi! I'm the booking assistant of {practice}. What would you like to do?",
                 "es": "¡Hola! Soy el asistente de citas de {practice}. ¿Qué te gustaría hacer?"},
    "reset": {"en": "OK, let's start over. What would you like to do?", "es": "De acuerdo, empecemos de nuevo. ¿Qué te gustaría hacer?"},
    "fallback": {"en": "Sorry, I didn't understand. I can book, move or cancel an appointment.",
                 "es": "Perdona, no te he entendido. Puedo reservar, cambiar o cancelar una cita."},
    "fallback.giving_up": {"en": "I'm sorry I keep misunderstanding you.", "es": "Lo siento, no consigo entenderte."},
    "welcome": {"en": "You're welcome! Write any time.", "es": "¡De nada! Escríbenos cuando quieras."},
    "handoff": {"en": "I've asked a member of our team to reply to you here as soon as possible.",
                "es": "He pedido a una persona de nuestro equipo que te responda aquí lo antes posible."},
    "handoff.closed": {"en": "I've passed your message to our team. The office is closed now, so they will reply here from {when}.",
                       "es": "He pasado tu mensaje a nuestro equipo. La clínica está cerrada ahora; te responderán aquí a partir del {when}."},
    "od_unavailable.staff": {"en": "Sorry, our booking system isn't answering, so I can't finish this myself.",
                             "es": "Lo siento, nuestro sistema de citas no responde, así que no puedo terminar esto yo."},
    "emergency": {"en": "If you have severe pain, swelling, bleeding or a broken tooth, please call us now at {phone}. If it is life-threatening, call 911.",
                  "es": "Si tienes dolor fuerte, hinchazón, sangrado o un diente roto, llámanos ahora al {phone}. Si tu vida corre peligro, llama al 911."},
    "info.answer": {"en": "{answer}", "es": "{answer}"},
    "info.topics": {"en": "I can tell you about: {topics}.", "es": "Puedo informarte sobre: {topics}."},
    "ask.who": {"en": "Who is the visit for? Please type their first name and date of birth.",
                "es": "¿Para quién es la cita? Escribe su nombre y su fecha de nacimiento."},
    "ask.who_again": {"en": "I couldn't match that name. Please type the first name and date of birth (for example: Emma 04/18/2012).",
                      "es": "No encuentro ese nombre. Escribe el nombre y la fecha de nacimiento (por ejemplo: Sofía 02/07/2014)."},
    "ask.details": {"en": "Welcome! To book your first visit, please send the patient's first and last name and date of birth (for example: Ana Lopez 03/14/1985).",
                    "es": "¡Bienvenido! Para tu primera visita, envíanos el nombre, el apellido y la fecha de nacimiento del paciente (por ejemplo: Ana López 14/03/1985)."},
    "ask.details_missing": {"en": "Thanks. I still need the first and last name and the date of birth.",
                            "es": "Gracias. Aún necesito el nombre, el apellido y la fecha de nacimiento."},
    "ask.kind": {"en": "What kind of visit do you need?", "es": "¿Qué tipo de cita necesitas?"},
    "ask.which": {"en": "Which appointment?", "es": "¿Qué cita?"},
    "ask.which_again": {"en": "Please choose one of the appointments in the list.", "es": "Elige una de las citas de la lista."},
    "offer.list": {"en": "Here are the times I found. Pick one, or tell me another day or time.",
                   "es": "Estas son las horas que he encontrado. Elige una o dime otro día u hora."},
    "offer.none": {"en": "I couldn't find a free time for that. Tell me another day or time, or say \"as soon as possible\".",
                   "es": "No encuentro hueco para eso. Dime otro día u hora, o escribe \"lo antes posible\"."},
    "offer.exact_taken": {"en": "That exact time isn't free.", "es": "Esa hora exacta no está libre."},
    "offer.stale": {"en": "That list is out of date, so here is what is free now.", "es": "Esa lista ya no está al día; esto es lo que hay libre ahora."},
    "row.option": {"en": "{when}", "es": "{when}"},
    "row.option_detail": {"en": "{provider} · {minutes} min", "es": "{provider} · {minutes} min"},
    "confirm.book": {"en": "{kind} on {when} with {provider}. Shall I book it?", "es": "{kind} el {when} con {provider}. ¿La reservo?"},
    "confirm.reschedule": {"en": "Move your appointment to {when} with {provider}?", "es": "¿Cambio tu cita al {when} con {provider}?"},
    "booked": {"en": "Booked! {when} with {provider}. See you then.", "es": "¡Reservada! {when} con {provider}. Te esperamos."},
    "rescheduled": {"en": "Done: your appointment is now on {when} with {provider}.", "es": "Hecho: tu cita es ahora el {when} con {provider}."},
    "taken": {"en": "Sorry, that time was just taken.", "es": "Lo siento, esa hora se acaba de ocupar."},
    "ok.other_time": {"en": "No problem. Which other time would suit you?", "es": "Sin problema. ¿Qué otra hora te viene bien?"},
    "kept": {"en": "OK, I haven't changed anything.", "es": "De acuerdo, no he cambiado nada."},
    "none_upcoming": {"en": "I can't find an upcoming appointment for this number.", "es": "No encuentro ninguna cita próxima para este número."},
    "cancel.ask": {"en": "Cancel your appointment on {when}?", "es": "¿Cancelo tu cita del {when}?"},
    "cancelled": {"en": "Your appointment on {when} is cancelled. Write any time to book again.",
                  "es": "Tu cita del {when} está cancelada. Escríbenos cuando quieras para reservar otra."},
    "confirmed": {"en": "Thank you! Your appointment on {when} is confirmed.", "es": "¡Gracias! Tu cita del {when} está confirmada."},
    "reschedule.current": {"en": "Your appointment is on {when}.", "es": "Tu cita es el {when}."},
    "od_unavailable": {"en": "Sorry, our booking system isn't answering right now. Please try again in a few minutes.",
                       "es": "Lo siento, nuestro sistema de citas no responde ahora mismo. Inténtalo de nuevo en unos minutos."},
    "unsupported": {"en": "Sorry, I can only read text messages and taps on buttons. Could you type what you need?",
                    "es": "Lo siento, solo puedo leer mensajes de texto y botones. ¿Puedes escribir lo que necesitas?"},
    "button.book": {"en": "Book", "es": "Reservar"},
    "button.reschedule": {"en": "Reschedule", "es": "Cambiar cita"},
    "button.cancel": {"en": "Cancel a visit", "es": "Cancelar cita"},
    "button.yes": {"en": "Yes, book it", "es": "Sí, resérvala"},
    "button.no": {"en": "No", "es": "No"},
    "button.other_times": {"en": "Other times", "es": "Otras horas"},
    "button.yes_cancel": {"en": "Yes, cancel", "es": "Sí, cancelar"},
    "button.no_keep": {"en": "No, keep it", "es": "No, mantener"},
    "button.see_times": {"en": "See times", "es": "Ver horas"},
    "button.choose": {"en": "Choose", "es": "Elegir"},
    "kind.cleaning": {"en": "Cleaning", "es": "Limpieza"},
    "kind.consultation": {"en": "Check-up", "es": "Revisión"},
    "kind.emergency": {"en": "Emergency visit", "es": "Urgencia"},
    "kind.new_patient": {"en": "New patient exam", "es": "Primera visita"},
    "kind.visit": {"en": "Visit", "es": "Cita"},
}  # fmt: skip
DATETIME_FORMAT = "EEE d MMM, HH:mm"


def message(key: str, language: str) -> str:
    """The message for a key in a language, falling back to English (never to the key itself)."""
    texts = MESSAGES[key]
    return texts.get(language) or texts["en"]


def when(value: datetime, language: str) -> str:
    """A date and time the way the patient reads them ("Tue 25 Nov, 10:30", "mar 25 nov, 10:30")."""
    return format_datetime(value, DATETIME_FORMAT, locale=language)
