"""What simulated patients write, per language: written before the fixes, and split into two fixed halves.

Each bank is a list; even positions are the development half ("dev"), odd positions the held-out half
("held"). Fixes are tuned on "dev" only; `python -m tests.patients.run` reports both. Every patient message
quoted in issue #18 is here verbatim (`ISSUE_MESSAGES` lists them, and a test checks they are all in a bank);
the issue shortens one ("mujhe agle hafte mangalvar ko..."), which is completed here.

Booking asks carry what the patient wants (`Ask.weekday`, `Ask.part`), so the patient can tell whether an
offered time suits them. Choice templates are filled from the offered row the patient picks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Half = Literal["dev", "held"]
HALVES: tuple[Half, Half] = ("dev", "held")
LANGUAGES = ("en", "es", "pt", "fr", "de", "ar", "hi")


@dataclass(frozen=True)
class Ask:
    """A booking request and the constraint it states (weekday 0 = Monday; part of day)."""

    text: str
    weekday: int | None = None
    part: Literal["morning", "afternoon"] | None = None
    day: int | None = None
    """A day of the month the ask names ("el lunes 21")."""


def half(items: list[str] | list[Ask], which: Half) -> list[str] | list[Ask]:
    """The fixed half of a bank: even positions for development, odd ones held out."""
    return items[0 if which == "dev" else 1 :: 2]  # type: ignore[return-value]


# fmt: off
BOOK: dict[str, list[Ask]] = {
    "en": [
        Ask("Hi, can I get a cleaning next week, after 2 if possible?", part="afternoon"),
        Ask("hi can i get a cleaning next week? tues after lunch wd be best", weekday=1, part="afternoon"),
        Ask("I'd like a cleaning next Thursday morning please", weekday=3, part="morning"),
        Ask("can i book a cleaning for next wednesday afternoon", weekday=2, part="afternoon"),
        Ask("need a teeth cleaning next friday morning", weekday=4, part="morning"),
        Ask("Could I come in for a cleaning next Monday in the afternoon?", weekday=0, part="afternoon"),
        Ask("cleaning next tuesday morning?", weekday=1, part="morning"),
        Ask("Hello! I'm due for a cleaning, anything next Thursday afternoon?", weekday=3, part="afternoon"),
    ],
    "es": [
        Ask("Hola, quiero una limpieza el martes que viene por la tarde", weekday=1, part="afternoon"),
        Ask("el lunes 21 por la mañana", weekday=0, part="morning", day=21),
        Ask("quisiera una limpieza el próximo jueves por la mañana", weekday=3, part="morning"),
        Ask("necesito una limpieza el miercoles que viene por la tarde", weekday=2, part="afternoon"),
        Ask("hola, me das cita para limpieza el viernes que viene en la mañana?", weekday=4, part="morning"),
        Ask("Buenas, una limpieza para el próximo lunes por la tarde", weekday=0, part="afternoon"),
        Ask("limpieza el martes que viene por la mañana", weekday=1, part="morning"),
        Ask("quiero limpieza dental el jueves que viene por la tarde", weekday=3, part="afternoon"),
    ],
    "pt": [
        Ask("Olá, quero marcar uma limpeza na próxima terça à tarde", weekday=1, part="afternoon"),
        Ask("queria uma limpeza na quinta que vem de manhã", weekday=3, part="morning"),
        Ask("preciso de uma limpeza na próxima quarta à tarde", weekday=2, part="afternoon"),
        Ask("oi, tem horário para limpeza na sexta que vem de manhã?", weekday=4, part="morning"),
        Ask("Bom dia, uma limpeza na próxima segunda à tarde", weekday=0, part="afternoon"),
        Ask("limpeza na terça que vem de manha", weekday=1, part="morning"),
    ],
    "fr": [
        Ask("Bonjour, je voudrais un détartrage mardi prochain l'après-midi", weekday=1, part="afternoon"),
        Ask("un détartrage jeudi prochain le matin svp", weekday=3, part="morning"),
        Ask("je voudrais un detartrage mercredi prochain apres-midi", weekday=2, part="afternoon"),
        Ask("Bonjour, avez-vous un créneau pour un détartrage vendredi prochain le matin ?", weekday=4, part="morning"),
        Ask("un détartrage lundi prochain l'après-midi", weekday=0, part="afternoon"),
        Ask("detartrage mardi prochain le matin", weekday=1, part="morning"),
    ],
    "de": [
        Ask("Hallo, ich möchte nächsten Dienstag nachmittags eine Zahnreinigung", weekday=1, part="afternoon"),
        Ask("Zahnreinigung nächsten Donnerstag vormittags bitte", weekday=3, part="morning"),
        Ask("ich hätte gern eine Zahnreinigung nächsten Mittwoch am Nachmittag", weekday=2, part="afternoon"),
        Ask("Guten Tag, geht eine Zahnreinigung nächsten Freitag vormittags?", weekday=4, part="morning"),
        Ask("eine Zahnreinigung nächsten Montag nachmittags", weekday=0, part="afternoon"),
        Ask("zahnreinigung naechsten dienstag vormittag", weekday=1, part="morning"),
    ],
    "ar": [
        Ask("مرحبا، أريد موعد تنظيف يوم الثلاثاء القادم بعد الظهر", weekday=1, part="afternoon"),
        Ask("أريد تنظيف أسنان يوم الخميس القادم صباحا", weekday=3, part="morning"),
        Ask("ممكن موعد تنظيف الأربعاء القادم بعد الظهر؟", weekday=2, part="afternoon"),
        Ask("السلام عليكم، أريد تنظيف يوم الجمعة القادم صباحا", weekday=4, part="morning"),
        Ask("موعد تنظيف يوم الاثنين القادم بعد الظهر", weekday=0, part="afternoon"),
        Ask("تنظيف الثلاثاء القادم صباحا من فضلك", weekday=1, part="morning"),
    ],
    "hi": [
        Ask("नमस्ते, मुझे अगले मंगलवार को दोपहर में दाँतों की सफ़ाई का अपॉइंटमेंट चाहिए", weekday=1, part="afternoon"),
        Ask("mujhe agle hafte mangalvar ko dopahar mein safai ka appointment chahiye", weekday=1, part="afternoon"),
        Ask("अगले गुरुवार सुबह सफ़ाई के लिए समय चाहिए", weekday=3, part="morning"),
        Ask("agle guruvar subah safai ke liye time chahiye", weekday=3, part="morning"),
        Ask("मुझे अगले बुधवार दोपहर को सफ़ाई करवानी है", weekday=2, part="afternoon"),
        Ask("agle budhvar dopahar ko safai karwani hai", weekday=2, part="afternoon"),
    ],
}
"""Booking asks with a day and a part of the day (Hindi: Devanagari and Latin letters, in turn)."""

FAMILY_BOOK: dict[str, list[str]] = {
    "en": ["I'd like to book a cleaning for my daughter next week", "can my son get a cleaning next week?",
           "cleaning for my kid next week pls", "Hi, I need a cleaning for one of my children next week"],
    "es": ["quiero una limpiesa para mi hija el jueves por la mañana", "una limpieza para mi hijo la semana que viene",
           "quisiera una limpieza para mi hija la próxima semana", "limpieza para mi niño la semana que viene"],
    "pt": ["quero uma limpeza para minha filha na semana que vem", "uma limpeza para o meu filho na próxima semana"],
    "fr": ["je voudrais un détartrage pour ma fille la semaine prochaine", "un détartrage pour mon fils la semaine prochaine"],
    "de": ["ich möchte eine Zahnreinigung für meine Tochter nächste Woche", "eine Zahnreinigung für meinen Sohn nächste Woche"],
    "ar": ["أريد موعد تنظيف لابنتي الأسبوع القادم", "موعد تنظيف لابني الأسبوع القادم"],
    "hi": ["मुझे अपनी बेटी के लिए अगले हफ्ते सफ़ाई का अपॉइंटमेंट चाहिए", "mere bete ke liye agle hafte safai ka appointment chahiye"],
}

NEW_BOOK: dict[str, list[str]] = {
    "en": ["Hi, I'd like to book an appointment", "hello im new here, can i book a visit?",
           "Hi! First time, I'd like an appointment", "can i make an appointment please"],
    "es": ["Hola, quiero pedir una cita por favor", "hola soy nuevo, quiero una cita", "quisiera una cita", "buenas, necesito cita"],
    "pt": ["Olá, quero marcar uma consulta", "oi, sou novo, quero marcar consulta"],
    "fr": ["Bonjour, je voudrais prendre rendez-vous", "bonjour je suis nouveau, je voudrais un rendez-vous"],
    "de": ["Hallo, ich möchte einen Termin vereinbaren", "hallo ich bin neu und hätte gern einen termin"],
    "ar": ["مرحبا، أريد حجز موعد", "أنا مريض جديد، أريد موعد"],
    "hi": ["नमस्ते, मुझे अपॉइंटमेंट बुक करना है", "namaste, mujhe appointment book karna hai"],
}

RESCHEDULE: dict[str, list[str]] = {
    "en": ["I need to reschedule my appointment", "can i move my appointment?", "need to change my visit",
           "Hi, something came up, could I move my appointment to another day?"],
    "es": ["Necesito cambiar mi cita", "puedo mover mi cita?", "quiero cambiar la cita a otro día", "hola, tengo que cambiar mi cita"],
    "pt": ["Preciso remarcar minha consulta", "quero mudar minha consulta para outro dia"],
    "fr": ["Je dois déplacer mon rendez-vous", "je voudrais changer mon rendez-vous"],
    "de": ["Ich muss meinen Termin verschieben", "kann ich meinen termin verlegen?"],
    "ar": ["أريد تغيير الموعد", "هل يمكن تأجيل موعدي؟"],
    "hi": ["मुझे अपने अपॉइंटमेंट का समय बदलना है", "mujhe apna appointment badalna hai"],
}

CANCEL: dict[str, list[str]] = {
    "en": ["I need to cancel my appointment", "pls cancel my appt", "I can't make it, please cancel my visit",
           "cancel my appointment"],
    "es": ["Necesito cancelar mi cita por favor", "cancela mi cita porfa", "no puedo ir, cancelen mi cita", "quiero anular mi cita"],
    "pt": ["Preciso cancelar minha consulta", "quero desmarcar minha consulta"],
    "fr": ["Je dois annuler mon rendez-vous", "annulez mon rdv svp"],
    "de": ["Ich muss meinen Termin absagen", "bitte meinen termin stornieren"],
    "ar": ["أريد إلغاء موعدي", "من فضلك ألغ موعدي"],
    "hi": ["मुझे अपना अपॉइंटमेंट रद्द करना है", "mera appointment cancel kar do"],
}

CONFIRM: dict[str, list[str]] = {
    "en": ["yes ill be there tomorrow at 3:30", "Yes, I'll be there tomorrow at 3:30", "confirming my appointment tomorrow",
           "I want to confirm my appointment"],
    "es": ["Sí, allí estaré mañana", "confirmo mi cita de mañana", "quiero confirmar mi cita", "si, ahi estare mañana a las 3:30"],
    "pt": ["Sim, estarei lá amanhã", "quero confirmar minha consulta"],
    "fr": ["Oui, je serai là demain", "je confirme mon rendez-vous"],
    "de": ["Ja, ich komme morgen", "ich möchte meinen Termin bestätigen"],
    "ar": ["نعم، سأحضر غدا", "أريد تأكيد موعدي"],
    "hi": ["हाँ, मैं कल आऊंगा", "main apna appointment confirm karna chahta hoon"],
}
"""Confirmations of a visit tomorrow at 15:30 (the run puts one there); each is an explicit yes."""

INFO: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "en": [("whats ur address and do u take delta dental", ("address", "insurance")),
           ("where do i park", ("parking",)),
           ("what are your hours and where are you?", ("hours", "address")),
           ("what should i bring, and is there parking?", ("bring", "parking"))],
    "es": [("¿cuál es su horario y dónde están?", ("hours", "address")), ("donde puedo aparcar?", ("parking",)),
           ("que horario tienen y aceptan seguro?", ("hours", "insurance")), ("qué tengo que llevar?", ("bring",))],
    "pt": [("Qual é o horário e o endereço?", ("hours", "address")), ("onde posso estacionar?", ("parking",))],
    "fr": [("Quels sont vos horaires et votre adresse ?", ("hours", "address")), ("où puis-je me garer ?", ("parking",))],
    "de": [("Wie sind Ihre Öffnungszeiten und die Adresse?", ("hours", "address")), ("wo kann ich parken?", ("parking",))],
    "ar": [("ما هي ساعات العمل وما هو العنوان؟", ("hours", "address")), ("أين يمكنني ركن السيارة؟", ("parking",))],
    "hi": [("क्लिनिक का समय और पता क्या है?", ("hours", "address")), ("parking kahan hai?", ("parking",))],
}

STAFF: dict[str, list[str]] = {
    "en": ["can I talk to a person", "i want to speak to someone at the front desk", "real human please", "let me talk to staff"],
    "es": ["quiero hablar con una persona", "me pasas con alguien de recepción?", "hablar con un humano", "quiero hablar con alguien"],
    "pt": ["quero falar com uma pessoa", "posso falar com alguém da recepção?"],
    "fr": ["je veux parler à une personne", "je voudrais parler à quelqu'un de l'accueil"],
    "de": ["ich möchte mit einem Menschen sprechen", "kann ich mit jemandem vom Empfang sprechen?"],
    "ar": ["أريد التحدث مع شخص", "أريد التكلم مع موظف"],
    "hi": ["मुझे किसी इंसान से बात करनी है", "kisi insaan se baat karni hai"],
}

EMERGENCY: dict[str, list[str]] = {
    "en": ["my face is swollen and i'm in severe pain", "I have a cracked tooth and it's bleeding a lot",
           "knocked out a tooth, what do i do", "terrible toothache and swelling since last night"],
    "es": ["tengo la cara hinchada y mucho dolor", "se me rompió un diente y sangra mucho", "tengo un dolor de muelas terrible", "se me cayó un empaste y me duele muchísimo"],
    "pt": ["estou com o rosto inchado e muita dor", "quebrei um dente e está sangrando"],
    "fr": ["j'ai la joue gonflée et très mal", "je me suis cassé une dent et ça saigne"],
    "de": ["meine Wange ist geschwollen und ich habe starke Schmerzen", "mir ist ein Zahn abgebrochen und es blutet"],
    "ar": ["وجهي متورم وعندي ألم شديد", "انكسر سني وينزف كثيرا"],
    "hi": ["मेरा चेहरा सूज गया है और बहुत दर्द है", "daant toot gaya hai aur khoon aa raha hai"],
}

YES: dict[str, list[str]] = {
    "en": ["yes", "yes please", "yep", "ok book it", "sure", "yes that works"],
    "es": ["sí", "si porfa", "sí, resérvala", "vale", "sí por favor", "claro"],
    "pt": ["sim", "sim, pode marcar", "pode ser", "sim por favor"],
    "fr": ["oui", "oui merci", "oui, réservez", "d'accord"],
    "de": ["ja", "ja bitte", "ja, buchen", "passt"],
    "ar": ["نعم", "نعم من فضلك", "أكيد", "موافق"],
    "hi": ["हाँ", "haan", "हाँ ठीक है", "haan theek hai"],
}

CHOICES: dict[str, list[str]] = {
    "en": ["the second one", "{n}", "the {ordinal} one", "{h12} works", "the one at {hour}", "{weekday} at {time}",
           "the {wd} {nth} one pls", "{time} pls", "option {n}", "the {ordinal}"],
    "es": ["la de las {hour}", "{n}", "la {ordinal}", "el {weekday} a las {time}", "la {ordinal} opción", "a las {time}",
           "me va bien la de las {hour}", "la número {n}"],
    "pt": ["a das {hour}", "{n}", "a {ordinal}", "{weekday} às {time}", "às {time}", "a opção {n}"],
    "fr": ["celle de {hour}h", "{n}", "la {ordinal}", "{weekday} à {time}", "à {time}", "l'option {n}"],
    "de": ["die um {hour}", "{n}", "den {ordinal}", "{weekday} um {time}", "um {time}", "Nummer {n}"],
    "ar": ["الساعة {hour}", "{n}", "{ordinal}", "الخيار {n}"],
    "hi": ["{hour} बजे वाला", "{n}", "{ordinal} वाला", "{n} number"],
}
"""Typed choices of an offered row; each language's first one is the issue's (or its pattern)."""

ORDINALS: dict[str, tuple[str, ...]] = {
    "en": ("first", "second", "third", "fourth", "fifth"),
    "es": ("primera", "segunda", "tercera", "cuarta", "quinta"),
    "pt": ("primeira", "segunda", "terceira", "quarta", "quinta"),
    "fr": ("première", "deuxième", "troisième", "quatrième", "cinquième"),
    "de": ("ersten", "zweiten", "dritten", "vierten", "fünften"),
    "ar": ("الأول", "الثاني", "الثالث", "الرابع", "الخامس"),
    "hi": ("पहला", "दूसरा", "तीसरा", "चौथा", "पांचवां"),
}
WEEKDAYS: dict[str, tuple[str, ...]] = {
    "en": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "pt": ("segunda", "terça", "quarta", "quinta", "sexta", "sábado", "domingo"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    "hi": ("सोमवार", "मंगलवार", "बुधवार", "गुरुवार", "शुक्रवार", "शनिवार", "रविवार"),
}

VISIT_BY_DAY: dict[str, str] = {
    "en": "the {weekday} {nth} one", "es": "la del {weekday} {day}", "pt": "a de {weekday} dia {day}",
    "fr": "celui du {weekday} {day}", "de": "den am {weekday}, den {day}.", "ar": "موعد {weekday} {day}",
    "hi": "{weekday} {day} वाला",
}
"""A visit to change or cancel named by its day, as a patient types it instead of tapping its row."""

ASAP: dict[str, list[str]] = {
    "en": ["as soon as possible", "whatever is earliest"], "es": ["lo antes posible", "cuanto antes"],
    "pt": ["o mais cedo possível", "assim que possível"], "fr": ["le plus tôt possible", "dès que possible"],
    "de": ["so bald wie möglich", "so früh wie möglich"], "ar": ["في أقرب وقت ممكن", "أقرب موعد"],
    "hi": ["जल्द से जल्द", "jaldi se jaldi"],
}

CHITCHAT: dict[str, list[str]] = {
    "en": ["lol ok, did you see the game last night?", "haha my dog just ate my sock"],
    "es": ["jaja ok, oye y el partido de anoche?", "jaja qué calor hace hoy"],
    "pt": ["haha ok, viu o jogo ontem?", "kkk que calor hoje"],
    "fr": ["haha ok, tu as vu le match hier soir ?", "mdr il fait chaud aujourd'hui"],
    "de": ["haha ok, hast du das Spiel gestern gesehen?", "lol heute ist es so heiß"],
    "ar": ["هههه طيب، هل شاهدت المباراة أمس؟", "الجو حار اليوم"],
    "hi": ["haha ok, kal raat ka match dekha?", "आज बहुत गर्मी है"],
}
"""Asides that ask for nothing: a chatty patient writes one first; it must not start a booking."""

DETAILS: dict[str, list[str]] = {
    "en": ["{first} {last} {mdy}", "{first} {last}, born {mdy}", "my name is {first} {last}, {mdy}"],
    "es": ["{first} {last} {dmy}", "soy {first} {last}, nací el {dmy}", "{first} {last}, {dmy}"],
    "pt": ["{first} {last} {dmy}", "meu nome é {first} {last}, {dmy}"],
    "fr": ["{first} {last} {dmy}", "je m'appelle {first} {last}, né le {dmy}"],
    "de": ["{first} {last} {dmy_dots}", "ich heiße {first} {last}, geboren am {dmy_dots}"],
    "ar": ["{first} {last} {dmy}", "اسمي {first} {last} {dmy}"],
    "hi": ["{first} {last} {dmy}", "mera naam {first} {last} hai, {dmy}"],
}
WHO: dict[str, list[str]] = {
    "en": ["Emma 04/18/2012", "{first} {mdy}", "for {first}, born {mdy}", "{first_lower} {last_lower} {mdy}"],
    "es": ["Sofía 02/07/2014", "sofia garcia, 2 de julio 2014", "{first} {dmy}", "para {first_plain}, {dmy}"],
    "pt": ["{first} {dmy}", "para {first_plain}, {dmy}"], "fr": ["{first} {dmy}", "pour {first_plain}, {dmy}"],
    "de": ["{first} {dmy_dots}", "für {first_plain}, {dmy_dots}"], "ar": ["{first} {dmy}", "{first_plain} {dmy}"],
    "hi": ["{first} {dmy}", "{first_plain} {dmy}"],
}
"""Whom a family visit is for; the issue's literal ones are used for the patients they name."""

ISSUE_MESSAGES = (
    "Hi, can I get a cleaning next week, after 2 if possible?", "the second one",
    "hi can i get a cleaning next week? tues after lunch wd be best", "the wed 9th one pls", "la de las 11",
    "10am works", "the one at 11", "yes ill be there tomorrow at 3:30",
    "quiero una limpiesa para mi hija el jueves por la mañana", "jaja ok, oye y el partido de anoche?",
    "el lunes 21 por la mañana", "sofia garcia, 2 de julio 2014", "Sofía 02/07/2014", "Emma 04/18/2012",
    "whats ur address and do u take delta dental", "where do i park",
)
"""The issue's patient messages ("10am works" and "the wed 9th one pls" are the `{h12} works` and
`the {wd} {nth} one pls` choices as the patient fills them for such a row)."""
# fmt: on
