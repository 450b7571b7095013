"""The words patients use, per language, in folded form (see `fold`): calendar words, clock words and the
booking vocabulary. One table per language, so adding a language is adding a table.

Hindi has two tables' worth of words in one: Devanagari and Hindi written in Latin letters ("kal 5 baje").
"""

from __future__ import annotations

import re
import unicodedata

from pydantic import BaseModel, model_validator

DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९", "0123456789" * 3)
ARABIC = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ـ": None, "،": ",", "؟": "?",
                        "؛": ";", "ँ": "ं", "़": None})  # fmt: skip
ARABIC_MARKS = re.compile("[\u064b-\u0652\u0670]")


def fold(text: str) -> str:
    """Lowercase, Latin accents dropped, Arabic letter variants and diacritics merged, every digit ASCII.

    "Mañana", "manana"; "أربعاء", "اربعاء"; "३ बजे", "3 बजे" read the same. Devanagari vowel signs are kept:
    they are letters, not accents.
    """
    decomposed = unicodedata.normalize("NFD", text.lower().replace("ß", "ss"))
    kept = "".join(
        c
        for i, c in enumerate(decomposed)
        if not (unicodedata.combining(c) and i and decomposed[i - 1].isascii())
    )
    folded = unicodedata.normalize("NFC", kept).translate(DIGITS).translate(ARABIC)
    return ARABIC_MARKS.sub("", folded).replace("’", "'")


class Lexicon(BaseModel):
    weekdays: list[tuple[str, ...]]
    months: list[tuple[str, ...]]
    today: tuple[str, ...] = ()
    tomorrow: tuple[str, ...] = ()
    day_after_tomorrow: tuple[str, ...] = ()
    yesterday: tuple[str, ...] = ()
    either_day: tuple[str, ...] = ()
    """One word for tomorrow and yesterday (Hindi "kal"): read as tomorrow, as yesterday beside a verb in the past."""
    past: tuple[str, ...] = ()
    """Verbs in the past tense ("dekha", "हुआ"): with `either_day` the day is yesterday."""
    last_night: tuple[str, ...] = ()
    this_morning: tuple[str, ...] = ()
    this_afternoon: tuple[str, ...] = ()
    this_evening: tuple[str, ...] = ()
    next: tuple[str, ...] = ()
    """Words that make a weekday or a week the coming one ("next", "prochain", "agle")."""
    last: tuple[str, ...] = ()
    this: tuple[str, ...] = ()
    week: tuple[str, ...] = ()
    morning: tuple[str, ...] = ()
    afternoon: tuple[str, ...] = ()
    evening: tuple[str, ...] = ()
    noon: tuple[str, ...] = ()
    at: tuple[str, ...] = ()
    """Words before a clock time ("at", "a las", "um", "बजे" comes after and is in `oclock`)."""
    oclock: tuple[str, ...] = ()
    half: tuple[str, ...] = ()
    asap: tuple[str, ...] = ()
    end_of: tuple[str, ...] = ()
    """Words before a day that mean its end ("al final de mañana", "fin de dimanche"): "end of"."""
    late: tuple[str, ...] = ()
    """The day's latest openings ("lo más tarde posible", "letzter Termin"): "as late as possible"."""
    after: tuple[str, ...] = ()
    later: tuple[str, ...] = ()
    """After a span: "30 minutos después", "30 minutes later"."""
    before: tuple[str, ...] = ()
    numbers: dict[str, int] = {}
    yes: tuple[str, ...] = ()
    no: tuple[str, ...] = ()
    not_now: tuple[str, ...] = ()
    """Putting it off ("not right now", "ahora no", "jetzt nicht"): a no, and no time ("now" is not a when)."""
    greeting: tuple[str, ...] = ()
    thanks: tuple[str, ...] = ()
    book: tuple[str, ...] = ()
    cancel: tuple[str, ...] = ()
    reschedule: tuple[str, ...] = ()
    confirm: tuple[str, ...] = ()
    confirm_verbs: tuple[str, ...] = ()
    """The verb "confirm" as patients conjugate it ("je confirme", "ich bestätige"): with a word for their visit
    it asks to confirm that visit, though the visit word alone asks to book ("je confirme mon rendez-vous")."""
    visit: tuple[str, ...] = ()
    """What patients call their visit ("appointment", "rendez-vous", "cita", "Termin", "موعد")."""
    other_times: tuple[str, ...] = ()
    info: tuple[str, ...] = ()
    never_mind: tuple[str, ...] = ()
    day_articles: tuple[str, ...] = ()
    """Words that only introduce a day ("am Montag", "le 3", "dia 25"), read as "the" ("the 25th")."""
    minutes: tuple[str, ...] = ()
    hours: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    month_spans: tuple[str, ...] = ()
    """A count of months ("en 2 meses", "in 3 Monaten"); `week` counts weeks."""
    year_spans: tuple[str, ...] = ()
    midnight: tuple[str, ...] = ()
    within: tuple[str, ...] = ()
    """Words that count a span from now ("dans 3 jours", "5 मिनट में"): "in"."""
    now: tuple[str, ...] = ()
    ago_before: tuple[str, ...] = ()
    """Words before a span that count it back ("hace 3 días", "il y a 3 jours")."""
    ago_after: tuple[str, ...] = ()
    """Words after a span that count it back ("3 dias atrás", "3 दिन पहले")."""
    minus: str = ""
    quarter: str = ""
    """A quarter to or past the hour ("las 3 menos cuarto", "3 heures moins le quart")."""
    ordinal_ending: str = ""
    """A regular expression for the ordinal ending of a number word ("zweiten", "चौबीसवीं")."""
    years: dict[str, int] = {}
    """How a spelled-out year begins ("dos mil" 2000, "mil novecientos" 1900); its last two digits follow."""
    ordinal_dot: bool = False
    """Ordinals are written with a dot ("7." for "siebter"), so "siebter vierter" is the date "7.4."."""
    clock_fractions: dict[str, int] = {}
    """Minutes a word adds before the hour (Hindi "साढ़े 3" 3:30, "सवा 3" 3:15, "पौने 3" 2:45 as -15)."""
    name: tuple[str, ...] = ()
    """What patients call the language when they ask for it ("in English", "en español", "हिंदी में")."""
    markers: tuple[str, ...] = ()
    """Short everyday words that tell the language apart when a message is too short for the model."""

    @model_validator(mode="before")
    @classmethod
    def _folded(cls, data: dict[str, object]) -> dict[str, object]:
        """Tables are written as people spell the words; they are matched folded."""
        return {name: _fold_all(value) for name, value in data.items()}


def _fold_all(value: object) -> object:
    if isinstance(value, str):
        return fold(value)
    if isinstance(value, dict):
        return {fold(k): v for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_fold_all(v) for v in value)
    return value


def _numbers(words: str) -> dict[str, int]:
    return {w: i for i, w in enumerate(words.split(), start=0) if w != "-"}


LEXICONS: dict[str, Lexicon] = {
    "en": Lexicon(
        weekdays=[("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"), ("thursday", "thu", "thur", "thurs"),
                  ("friday", "fri"), ("saturday", "sat"), ("sunday", "sun")],
        months=[("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
                ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
                ("november", "nov"), ("december", "dec")],
        today=("today", "tonight", "this morning", "this afternoon", "this evening", "otd"),
        tomorrow=("tomorrow", "tmrw", "tmr", "tomorow"), day_after_tomorrow=("day after tomorrow",),
        yesterday=("yesterday",), next=("next", "coming", "following", "upcoming"), last=("last", "previous", "past"),
        this=("this",), week=("week", "weeks"), morning=("morning", "early"), afternoon=("afternoon", "after lunch"),
        evening=("evening", "tonight", "night"), noon=("noon", "midday", "noonish", "lunchtime", "lunch time"), at=("at", "@", "around", "by about"),
        oclock=("o'clock", 'o"clock', "oclock"), half=("half past",), asap=("asap", "as soon as possible", "soonest",
        "earliest", "first available"), after=("after", "from", "later than"), before=("before", "until", "by", "no later than"),
        numbers=_numbers("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                         "sixteen seventeen eighteen nineteen twenty") | {"thirty": 30, "forty": 40, "fifty": 50},
        yes=("yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right", "that works", "works for me", "perfect",
             "sounds good", "please do", "confirm", "great", "fine", "alright", "all right", "agree",
             "go with", "that one works", "this one works", "that is what i want", "that's what i want",
             "would work", "will work", "is good", "sounds great", "confirmed", "i like that", "of course", "proceed",
             "that's fine", "that is fine", "i accept", "should work", "go ahead", "set it up", "good with me", "do it",
             "will do", "sounds better", "agreeable", "this one", "that one", "suits me", "suit me", "good for me",
             "i want that", "i assent"),
        no=("no", "nope", "nah", "not really", "doesn't work", "does not work", "don't", "negative", "won't work",
            "will not work", "changed my mind", "change my mind", "on second thought", "strike that", "nothing",
            "not that one", "change that", "change it", "make it", "maybe later", "perhaps later", "change the date",
            "change the time", "move that"),
        not_now=("not now", "not yet", "not right now", "not at this time", "not at the moment", "hold off", "in a bit",
                 "at a later time", "probably later", "some other time"),
        greeting=("hi", "hello", "hey", "good morning", "good afternoon"),
        thanks=("thanks", "thank you", "thx", "bye", "goodbye", "that's all", "that is all", "nothing else"),
        book=("book", "appointment", "schedule", "make an", "come in", "see the dentist", "see a dentist", "checkup",
              "check-up", "check up", "cleaning", "available", "availability", "any time", "slot", "reservation",
              "reserve a", "go to the dentist", "go to a dentist", "visit a dentist", "visit the dentist", "find a dentist",
              "find me a dentist", "need a dentist", "see a dentist", "this dentist", "a dentist", "opening", "booking"),
        cancel=("cancel", "call off", "can't make it", "cannot make it"),
        reschedule=("reschedule", "move my", "change my appointment", "change the appointment", "different time",
                    "another day"),
        confirm=("confirm my", "confirming my", "confirm the appointment", "i'll be there", "i will be there", "see you then"),
        confirm_verbs=("confirm", "confirming", "confirmed", "reconfirm", "reconfirming"),
        visit=("appointment", "appt", "visit", "booking", "cleaning", "checkup", "check-up"),
        other_times=("other times", "other time", "other options", "something else", "more times", "later times",
                     "anything else", "someone else", "some one else", "anyone else", "another one", "any other",
                     "another option", "different", "elsewhere", "somewhere else", "who else", "instead", "some other",
                     "another dentist", "look for one", "find me one", "find one", "find me something", "find something",
                     "more options", "alternative", "alternatives", "another office", "find me another", "what else",
                     "how about in", "someone in", "find another", "keep looking", "keep searching", "another choice",
                     "have another", "look for another", "any others", "search again"),
        info=("hours", "open", "close", "address", "where are you", "where are they", "located", "location", "parking",
              "insurance", "bring", "phone number", "contact number", "their number", "do they offer", "do you offer",
              "services", "where is", "where's", "where can i find", "where they", "contact info", "telephone",
              "do they do", "do they perform", "number of the"),
        never_mind=("never mind", "nevermind", "forget it", "stop", "start over"),
        name=("english", "ingles", "anglais", "englisch", "ingles", "انجليزي", "الانجليزيه", "अंग्रेजी", "angrezi", "english me"),
        markers=("the", "and", "please", "can", "i", "you", "is", "what", "want", "need", "my", "hi", "hello", "thanks"),
    ),
    "es": Lexicon(
        weekdays=[("lunes", "lun"), ("martes", "mar"), ("miercoles", "mie"), ("jueves", "jue"), ("viernes", "vie"),
                  ("sabado", "sab"), ("domingo", "dom")],
        months=[("enero", "ene"), ("febrero", "feb"), ("marzo", "mar"), ("abril", "abr"), ("mayo", "may"), ("junio", "jun"),
                ("julio", "jul"), ("agosto", "ago"), ("septiembre", "setiembre", "sep", "sept", "set"),
                ("octubre", "oct"), ("noviembre", "nov"), ("diciembre", "dic")],
        today=("hoy",), this_morning=("esta manana",), this_afternoon=("esta tarde",),
        this_evening=("esta noche",), tomorrow=("manana",), day_after_tomorrow=("pasado manana",),
        yesterday=("ayer",), last_night=("anoche", "ayer por la noche", "ayer en la noche"), next=("proximo", "proxima", "siguiente", "que viene", "entrante"), last=("pasado", "pasada", "anterior"),
        this=("este", "esta"), week=("semana", "semanas"), morning=("por la manana", "en la manana", "de la manana", "temprano"),
        afternoon=("por la tarde", "en la tarde", "de la tarde", "a la tarde"), evening=("por la noche", "de la noche", "en la noche"),
        noon=("mediodia",), at=("a las", "a la", "sobre las", "hacia las", "tipo"), oclock=("en punto",), half=("y media",),
        asap=("lo antes posible", "cuanto antes", "lo mas pronto"),
        end_of=("al final del", "al final de", "a fin de", "al fin de", "a final de", "final del", "fin del", "fin de"),
        late=("lo mas tarde posible", "a ultima hora", "la ultima hora del dia", "al final del dia", "a fin de dia",
              "al fin del dia", "final del dia", "fin de dia"), after=("despues de las", "despues del", "despues de", "a partir de las", "a partir del", "a partir de", "desde las"), later=("despues", "mas tarde"),
        before=("antes de las", "antes del", "antes de", "hasta las"),
        numbers=_numbers("cero una dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce quince "
                         "dieciseis diecisiete dieciocho diecinueve veinte") | {"uno": 1, "un": 1, "primero": 1, "treinta": 30, "cuarenta": 40,
                         "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90},
        yes=("si", "claro", "vale", "de acuerdo", "perfecto", "correcto", "esta bien", "me sirve", "dale", "confirmo", "genial",
             "ok", "okey"),
        no=("no", "no gracias", "no puedo", "no me sirve", "tampoco"),
        not_now=("ahora no", "por ahora no", "ahorita no", "todavia no", "mas adelante", "en otro momento"),
        greeting=("hola", "buenos dias", "buenas tardes", "buenas"),
        thanks=("gracias", "muchas gracias", "adios", "eso es todo", "nada mas"),
        book=("cita", "reservar", "agendar", "turno", "consulta", "limpieza", "revision", "disponible", "hueco", "quiero ir",
              "pedir hora"),
        cancel=("cancelar", "anular", "no podre ir", "no puedo ir"),
        reschedule=("cambiar mi cita", "cambiar la cita", "mover mi cita", "reprogramar", "cambiar de hora", "cambiar el dia"),
        confirm=("confirmar mi", "confirmo", "ahi estare", "alli estare", "confirmar la cita"),
        confirm_verbs=("confirmo", "confirmar", "confirmamos", "confirmada", "confirmado", "confirmando", "confirme"),
        visit=("cita", "turno", "consulta", "visita", "limpieza", "revision"),
        other_times=("otras horas", "otros horarios", "otra hora", "mas opciones", "otro horario", "otra opcion", "sigue buscando",
                     "busca otra", "busca otro", "tienes otra", "tienes otro"),
        info=("horario", "abren", "cierran", "direccion", "donde estan", "estacionamiento", "seguro", "traer", "telefono",
              "servicios"),
        never_mind=("olvidalo", "olvidelo", "dejalo", "no importa", "empezar de nuevo"),
        day_articles=("el dia", "el", "del"), minutes=("minutos", "minuto", "mins", "min"), hours=("horas", "h"),
        days=("dias",), month_spans=("meses", "mes"), year_spans=("anos", "ano"), midnight=("medianoche", "media noche"), within=("dentro de", "en"), now=("ahora mismo", "ahora"), ago_before=("hace",),
        minus="menos", quarter="cuarto", years={"dos mil": 2000, "mil novecientos": 1900, "mil ochocientos": 1800},
        name=("espanol", "castellano", "spanish", "espagnol", "spanisch", "espanhol"),
        markers=("hola", "quiero", "gracias", "por favor", "necesito", "puedo", "cuando", "buenos", "buenas", "el", "la", "los",
                 "para", "una", "mi", "de la", "y", "es", "que", "me", "si"),
    ),
    "pt": Lexicon(
        weekdays=[("segunda", "segunda-feira", "segunda feira", "seg"), ("terca", "terca-feira", "terca feira", "ter"),
                  ("quarta", "quarta-feira", "quarta feira", "qua"), ("quinta", "quinta-feira", "quinta feira", "qui"),
                  ("sexta", "sexta-feira", "sexta feira", "sex"), ("sabado", "sab"), ("domingo", "dom")],
        months=[("janeiro", "jan"), ("fevereiro", "fev"), ("marco", "mar"), ("abril", "abr"), ("maio", "mai"), ("junho", "jun"),
                ("julho", "jul"), ("agosto", "ago"), ("setembro", "set"), ("outubro", "out"), ("novembro", "nov"),
                ("dezembro", "dez")],
        today=("hoje",), this_morning=("esta manha", "hoje de manha"),
        this_afternoon=("esta tarde", "hoje a tarde"), this_evening=("esta noite", "hoje a noite"), tomorrow=("amanha",),
        day_after_tomorrow=("depois de amanha",), yesterday=("ontem",), last_night=("ontem a noite", "ontem de noite"), next=("proximo", "proxima", "que vem", "seguinte"),
        last=("passado", "passada", "anterior", "ultimo", "ultima"), this=("este", "esta", "nesta", "neste", "essa", "esse"),
        week=("semana", "semanas"), morning=("de manha", "pela manha", "da manha", "cedo"), afternoon=("a tarde", "da tarde", "pela tarde", "de tarde"),
        evening=("a noite", "da noite", "de noite"), noon=("meio-dia", "meio dia", "meiodia"), at=("as", "a", "por volta das", "la pelas"),
        oclock=("horas", "hora", "em ponto"), half=("e meia",), asap=("o quanto antes", "o mais rapido possivel", "o mais cedo possivel",
        "assim que possivel"),
        end_of=("no final do", "no final de", "no fim do", "no fim de", "ao final do", "ao final de", "final do", "fim do"),
        late=("o mais tarde possivel", "ultimo horario do dia", "no final do dia", "no fim do dia", "final do dia",
              "fim do dia"), after=("depois das", "depois de", "a partir das", "a partir de"), later=("depois", "mais tarde"), before=("antes das", "antes de", "ate as"),
        numbers=_numbers("zero uma duas tres quatro cinco seis sete oito nove dez onze doze treze catorze quinze dezesseis "
                         "dezessete dezoito dezenove vinte") | {"um": 1, "primeiro": 1, "dois": 2, "quatorze": 14, "trinta": 30, "quarenta": 40,
                         "cinquenta": 50, "sessenta": 60, "setenta": 70, "oitenta": 80, "noventa": 90},
        yes=("sim", "claro", "pode ser", "ok", "certo", "perfeito", "combinado", "beleza", "isso", "confirmo", "pode marcar", "fechado"),
        no=("nao", "nao obrigado", "nao posso", "nenhum"),
        not_now=("agora nao", "ainda nao", "por enquanto nao", "mais pra frente", "outra hora"),
        greeting=("ola", "oi", "bom dia", "boa tarde", "boa noite"),
        thanks=("obrigado", "obrigada", "valeu", "tchau", "so isso"),
        book=("consulta", "marcar", "agendar", "horario", "limpeza", "avaliacao", "disponivel", "vaga", "atendimento"),
        cancel=("cancelar", "desmarcar", "nao vou poder ir", "nao posso ir"),
        reschedule=("remarcar", "mudar a consulta", "mudar minha consulta", "trocar o horario", "mudar o horario", "reagendar"),
        confirm=("confirmar", "confirmo a consulta", "estarei la", "vou sim"),
        confirm_verbs=("confirmo", "confirmar", "confirmamos", "confirmada", "confirmado", "confirmando"),
        visit=("consulta", "horario", "marcacao", "agendamento", "visita", "limpeza", "avaliacao"),
        other_times=("outros horarios", "outro horario", "outras opcoes", "mais opcoes", "outra opcao", "continua procurando",
                     "procura outro", "procura outra", "tem outro", "tem outra"),
        info=("endereco", "onde fica", "estacionamento", "convenio", "plano", "funcionamento", "que horas abre", "telefone"),
        never_mind=("esquece", "deixa pra la", "deixa para la", "comecar de novo"),
        day_articles=("dia", "no", "na"), minutes=("minutos", "minuto", "min"), hours=("horas", "hora", "h"), days=("dias",), month_spans=("meses", "mes"), year_spans=("anos", "ano"), midnight=("meia-noite", "meia noite"),
        within=("daqui a", "dentro de", "em"), now=("agora mesmo", "agora"), ago_before=("ha",), ago_after=("atras",),
        minus="para", quarter="quinze", years={"dois mil": 2000, "mil novecentos": 1900, "mil oitocentos": 1800},
        name=("portugues", "portuguese", "portugais", "portugiesisch"),
        markers=("voce", "quero", "obrigado", "obrigada", "por favor", "preciso", "posso", "uma", "para", "meu", "minha", "nao",
                 "tem", "e", "o", "amanha", "oi", "ola", "bom", "boa", "com"),
    ),
    "fr": Lexicon(
        weekdays=[("lundi", "lun"), ("mardi", "mar"), ("mercredi", "mer"), ("jeudi", "jeu"), ("vendredi", "ven"), ("samedi", "sam"),
                  ("dimanche", "dim")],
        months=[("janvier", "janv"), ("fevrier", "fevr", "fev"), ("mars",), ("avril", "avr"), ("mai",), ("juin",),
                ("juillet", "juil"), ("aout",), ("septembre", "sept"), ("octobre", "oct"), ("novembre", "nov"),
                ("decembre", "dec")],
        today=("aujourd'hui", "aujourdhui"), this_morning=("ce matin",),
        this_afternoon=("cet apres-midi", "cet aprem"), this_evening=("ce soir",), tomorrow=("demain", "lendemain"),
        day_after_tomorrow=("apres-demain", "apres demain"), yesterday=("hier",), last_night=("hier soir",), next=("prochain", "prochaine", "suivant", "suivante"),
        last=("dernier", "derniere", "precedent", "precedente"), this=("ce", "cette", "cet"), week=("semaine", "semaines"),
        morning=("matin", "matinee", "du matin"), afternoon=("apres-midi", "apres midi", "aprem"), evening=("soir", "soiree", "du soir"),
        noon=("midi",), at=("a", "vers", "pour"), oclock=("heures", "heure", "h"), half=("et demie", "et demi"),
        asap=("des que possible", "au plus vite", "le plus tot possible", "au plus tot"),
        end_of=("a la fin de", "a la fin du", "fin de", "fin du"),
        late=("le plus tard possible", "dernier creneau", "a la fin de la journee", "en fin de journee", "fin de journee",
              "fin de la journee"), after=("apres", "a partir de"), later=("plus tard",),
        before=("avant", "jusqu'a"),
        numbers=_numbers("zero une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize") | {
            "un": 1, "vingt": 20, "trente": 30, "quarante": 40, "cinquante": 50, "dix-sept": 17, "dix-huit": 18, "dix-neuf": 19},
        yes=("oui", "d'accord", "ok", "parfait", "c'est bon", "ca marche", "ca me va", "volontiers", "tres bien", "exactement",
             "bien sur", "je confirme", "ouais"),
        no=("non", "pas possible", "ca ne va pas", "ca ne me va pas", "non merci"),
        not_now=("pas maintenant", "pas encore", "pas pour l'instant", "pas pour le moment", "une autre fois"),
        greeting=("bonjour", "salut", "bonsoir", "coucou"),
        thanks=("merci", "merci beaucoup", "au revoir", "bonne journee", "c'est tout"),
        book=("rendez-vous", "rendez vous", "rdv", "prendre", "reserver", "consultation", "detartrage", "disponible", "creneau",
              "dispo"),
        cancel=("annuler", "annulation", "je ne pourrai pas venir", "je ne peux pas venir"),
        reschedule=("deplacer", "decaler", "changer mon rendez-vous", "changer le rendez-vous", "reporter", "modifier mon rendez-vous"),
        confirm=("confirmer", "je serai la", "je viendrai"),
        confirm_verbs=("confirme", "confirmer", "confirmons", "confirmee", "confirmez", "confirmant", "reconfirme"),
        visit=("rendez-vous", "rendez vous", "rdv", "consultation", "visite", "detartrage", "seance"),
        other_times=("autres horaires", "autre horaire", "autres creneaux", "autre creneau", "autre chose", "d'autres options",
                     "continuez a chercher", "un autre", "une autre"),
        info=("horaires", "adresse", "ou etes-vous", "ou se trouve", "parking", "mutuelle", "assurance", "apporter", "telephone"),
        never_mind=("laissez tomber", "laisse tomber", "oubliez", "recommencer"),
        day_articles=("le",), minutes=("minutes", "minute", "min"), hours=("heures", "heure", "h"), days=("jours",), month_spans=("mois",), year_spans=("annees", "annee", "ans", "an"), midnight=("minuit",),
        within=("dans",), now=("maintenant", "tout de suite"), ago_before=("il y a", "il ya"), minus="moins",
        quarter="quart", years={"deux mille": 2000, "mille neuf cent": 1900, "dix-neuf cent": 1900, "dix neuf cent": 1900},
        name=("francais", "french", "frances", "franzosisch", "frances"),
        markers=("je", "vous", "le", "la", "les", "un", "une", "pour", "merci", "bonjour", "est", "suis", "voudrais", "veux",
                 "mon", "ma", "pas", "oui", "non", "avec", "ce", "des", "du"),
    ),
    "de": Lexicon(
        weekdays=[("montag", "mo"), ("dienstag", "di"), ("mittwoch", "mi"), ("donnerstag", "do"), ("freitag", "fr"),
                  ("samstag", "sonnabend", "sa"), ("sonntag", "so")],
        months=[("januar", "jan", "janner"), ("februar", "feb"), ("marz", "maerz", "mrz"), ("april", "apr"), ("mai",), ("juni", "jun"),
                ("juli", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("oktober", "okt"), ("november", "nov"),
                ("dezember", "dez")],
        today=("heute",), this_morning=("heute morgen", "heute fruh", "heute vormittag"),
        this_afternoon=("heute nachmittag",), this_evening=("heute abend",), tomorrow=("morgen",), day_after_tomorrow=("ubermorgen", "uebermorgen"),
        yesterday=("gestern",), last_night=("gestern abend", "gestern nacht", "letzte nacht"), next=("nachsten", "nachste", "nachster", "naechsten", "kommenden", "kommende", "kommender"),
        last=("letzten", "letzte", "letzter", "vorigen", "vergangenen"), this=("diesen", "diese", "dieser", "diesem"),
        week=("woche", "wochen"), morning=("morgens", "vormittag", "vormittags", "fruh", "frueh", "fruhmorgens"), afternoon=("nachmittag", "nachmittags"),
        evening=("abend", "abends", "nachts", "nacht", "spatabends", "spatabend", "spat abends"), noon=("mittag", "mittags", "mittagszeit"), at=("um", "gegen", "ab"), oclock=("uhr",), half=("halb",),
        end_of=("am ende des", "am ende von", "ende des", "ende von", "gegen ende des"),
        late=("so spat wie moglich", "am ende des tages", "ende des tages", "zum feierabend", "nach feierabend"),
        asap=("so bald wie moglich", "so schnell wie moglich", "baldmoglichst", "schnellstmoglich", "so fruh wie moglich", "asap"),
        after=("nach", "ab", "spater als"), later=("spater",), before=("vor", "bis", "spatestens"),
        numbers=_numbers("null eins zwei drei vier funf sechs sieben acht neun zehn elf zwolf dreizehn vierzehn funfzehn "
                         "sechzehn siebzehn achtzehn neunzehn zwanzig") | {"ein": 1, "eine": 1, "dreissig": 30, "vierzig": 40, "funfzig": 50, "sechzig": 60, "siebzig": 70, "achtzig": 80, "neunzig": 90, "erste": 1, "ersten": 1,
                         "erster": 1, "dritte": 3, "dritten": 3, "siebte": 7, "siebten": 7, "achte": 8, "achten": 8},
        yes=("ja", "genau", "gerne", "gern", "okay", "ok", "passt", "das passt", "einverstanden", "richtig", "perfekt", "klar",
             "in ordnung", "super", "bestatige", "jawohl"),
        no=("nein", "nee", "passt nicht", "geht nicht", "nein danke", "lieber nicht"),
        not_now=("jetzt nicht", "noch nicht", "im moment nicht", "vielleicht spater", "ein andermal"),
        greeting=("hallo", "guten tag", "guten morgen", "servus", "moin", "gruss gott", "guten abend"),
        thanks=("danke", "vielen dank", "danke schon", "tschuss", "auf wiedersehen", "das wars"),
        book=("termin", "buchen", "vereinbaren", "ausmachen", "zahnreinigung", "kontrolle", "frei", "untersuchung"),
        cancel=("absagen", "stornieren", "abmelden", "kann nicht kommen", "nicht kommen"),
        reschedule=("verschieben", "verlegen", "umbuchen", "termin andern", "anderen termin"),
        confirm=("bestatigen", "ich komme", "ich werde da sein", "bin dabei"),
        confirm_verbs=("bestatige", "bestatigen", "bestatigt", "bestaetige", "bestaetigen", "bestaetigt"),
        visit=("termin", "zahnreinigung", "kontrolle", "untersuchung", "besuch"),
        other_times=("andere zeiten", "andere zeit", "andere termine", "andere moglichkeiten", "etwas anderes", "weitersuchen",
                     "einen anderen", "noch einen"),
        info=("offnungszeiten", "adresse", "wo sind sie", "parkplatz", "parken", "versicherung", "krankenkasse", "mitbringen", "telefon"),
        never_mind=("vergessen sie es", "egal", "abbrechen", "von vorne"),
        day_articles=("am", "den", "der", "im"), minutes=("minuten", "minute", "min"), hours=("stunden", "stunde", "std"),
        days=("tagen", "tage", "tg"), month_spans=("monaten", "monate", "monat"),
        year_spans=("jahren", "jahres", "jahre", "jahr"), midnight=("mitternacht", "mitternachts"), within=("in",), now=("jetzt", "sofort"), ago_before=("vor",), minus="vor",
        quarter="viertel", ordinal_ending="(?:s?te[nrs]?|[nrs])?", ordinal_dot=True,
        name=("deutsch", "german", "aleman", "allemand", "alemao"),
        markers=("ich", "sie", "der", "die", "das", "und", "ist", "einen", "bitte", "danke", "mochte", "brauche", "hallo", "mit",
                 "fur", "nicht", "ja", "nein", "wann", "geht", "mein", "meine"),
    ),
    "ar": Lexicon(
        weekdays=[("الاثنين", "الإثنين", "اثنين", "الاتنين"), ("الثلاثاء", "ثلاثاء", "التلات"), ("الاربعاء", "اربعاء", "الاربع"),
                  ("الخميس", "خميس"), ("الجمعه", "جمعه"), ("السبت", "سبت"), ("الاحد", "احد", "الحد")],
        months=[("يناير", "كانون الثاني"), ("فبراير", "شباط"), ("مارس", "اذار"), ("ابريل", "نيسان"), ("مايو", "ايار"),
                ("يونيو", "حزيران"), ("يوليو", "تموز"), ("اغسطس", "اب", "اغسطس"), ("سبتمبر", "ايلول"), ("اكتوبر", "تشرين الاول"),
                ("نوفمبر", "تشرين الثاني"), ("ديسمبر", "كانون الاول")],
        today=("اليوم",), this_morning=("هذا الصباح", "اليوم الصبح"),
        this_evening=("الليله", "هذا المساء", "اليوم بالليل"), tomorrow=("غدا", "غدًا", "بكره", "بكرا", "باكر", "الغد"),
        day_after_tomorrow=("بعد غد", "بعد بكره", "بعد بكرا"), yesterday=("امس", "البارحه"), last_night=("امس بالليل", "ليله امس", "البارحه بالليل"),
        next=("القادم", "القادمه", "المقبل", "المقبله", "الجاي", "الجايه"), last=("الماضي", "الماضيه", "السابق", "اللي فات"),
        this=("هذا", "هذه", "ده"), week=("الاسبوع", "اسبوع", "اسابيع"), morning=("صباحا", "الصبح", "الصباح", "صباح"),
        afternoon=("عصرا", "العصر", "بعد الظهر", "الظهر"), evening=("مساء", "مساءا", "المساء", "بالليل", "ليلا"),
        noon=("الظهر", "ظهرا", "الظهيره"), at=("الساعه", "في الساعه", "على الساعه", "ساعه", "في"), oclock=("بالضبط",), half=("ونص", "والنصف", "و نصف"),
        asap=("في اقرب وقت", "باسرع وقت", "اقرب موعد"),
        end_of=("في نهايه", "نهايه", "في اخر", "اخر"), late=("اخر موعد", "في اخر اليوم", "في اخر النهار", "اخر النهار", "اخر اليوم"), after=("بعد",), before=("قبل",),
        numbers={"واحد": 1, "الواحده": 1, "اثنين": 2, "اثنان": 2, "الثانيه": 2, "ثلاثه": 3, "الثالثه": 3, "اربعه": 4, "الرابعه": 4,
                 "خمسه": 5, "الخامسه": 5, "سته": 6, "السادسه": 6, "سبعه": 7, "السابعه": 7, "ثمانيه": 8, "الثامنه": 8, "تسعه": 9,
                 "التاسعه": 9, "عشره": 10, "العاشره": 10, "احد عشر": 11, "الحاديه عشر": 11, "اثنا عشر": 12, "الثانيه عشر": 12,
                 "الاول": 1, "الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6, "السابع": 7, "الثامن": 8,
                 "التاسع": 9, "العاشر": 10, "عشرين": 20, "عشرون": 20, "ثلاثين": 30, "ثلاثون": 30},
        yes=("نعم", "ايوه", "ايوا", "اه", "تمام", "موافق", "اكيد", "طيب", "حسنا", "ماشي", "اوكي", "ok", "بالتاكيد", "احجز"),
        no=("لا", "لأ", "مش مناسب", "غير مناسب", "لا شكرا", "مش"),
        not_now=("ليس الان", "مش الحين", "مش دلوقتي", "مش الان", "بعدين"),
        greeting=("مرحبا", "السلام عليكم", "اهلا", "صباح الخير", "مساء الخير", "هاي"),
        thanks=("شكرا", "شكرًا", "مشكور", "مع السلامه", "يعطيك العافيه", "جزاك الله خير"),
        book=("موعد", "حجز", "احجز", "اريد حجز", "ابغى موعد", "عايز موعد", "تنظيف", "كشف", "فحص", "متاح"),
        cancel=("الغاء", "الغي", "الغِ", "ما اقدر اجي", "مش هقدر اجي"),
        reschedule=("تغيير الموعد", "تاجيل", "اجل", "غير الموعد", "نقل الموعد", "تعديل الموعد"),
        confirm=("تاكيد", "اكد", "ساحضر", "راح اجي"),
        confirm_verbs=("اكد", "اؤكد", "نؤكد", "تاكيد", "مؤكد", "اكدت"),
        visit=("موعد", "موعدي", "الموعد", "حجز", "حجزي", "زياره"),
        other_times=("اوقات اخرى", "وقت اخر", "مواعيد اخرى", "خيارات اخرى", "غير هذا"),
        info=("العنوان", "وين", "اين", "مواقف", "تامين", "ساعات العمل", "متى تفتحون", "رقم الهاتف"),
        never_mind=("انسى", "خلاص", "الغي الطلب", "ابدا من جديد"),
        day_articles=("يوم", "تاريخ"), minutes=("دقائق", "دقيقه", "دقيقتين"), hours=("ساعات",), days=("ايام",), month_spans=("اشهر", "شهور", "شهر"),
        year_spans=("سنوات", "سنين", "سنه", "اعوام", "عام"), midnight=("منتصف الليل",),
        within=("بعد", "خلال", "في"), now=("الان",), ago_before=("قبل", "منذ"),
        name=("العربيه", "عربي", "بالعربي", "بالعربيه", "arabic", "arabe", "arabisch"),
        markers=("في", "من", "على", "انا", "اريد", "ممكن", "لو سمحت", "شكرا", "مرحبا", "عندي", "هل", "ابغى", "عايز", "يوم"),
    ),
    "hi": Lexicon(
        weekdays=[("सोमवार", "somvar", "somwar"), ("मंगलवार", "mangalvar", "mangalwar"), ("बुधवार", "budhvar", "budhwar"),
                  ("गुरुवार", "बृहस्पतिवार", "guruvar", "guruwar", "brihaspativar"), ("शुक्रवार", "shukravar", "shukrawar"),
                  ("शनिवार", "shanivar", "shaniwar"), ("रविवार", "ravivar", "raviwar", "itvaar", "itwar")],
        months=[("जनवरी",), ("फरवरी",), ("मार्च",), ("अप्रैल",), ("मई",), ("जून",), ("जुलाई",), ("अगस्त",), ("सितंबर", "सितम्बर", "सित"),
                ("अक्टूबर", "अक्तूबर"), ("नवंबर", "नवम्बर"), ("दिसंबर", "दिसम्बर")],
        today=("आज", "aaj", "aj"), this_morning=("आज सुबह", "aaj subah"),
        this_afternoon=("आज दोपहर", "aaj dopahar"), this_evening=("आज शाम", "आज रात", "aaj shaam", "aaj raat"), tomorrow=("कल", "kal", "kl"), day_after_tomorrow=("परसों", "parso", "parson", "parsoon"),
        yesterday=("बीता कल",), either_day=("कल", "kal", "kl"),
        past=("था", "थी", "थे", "गया", "गई", "गयी", "गए", "हुआ", "हुई", "देखा", "देखी", "किया", "खाया", "dekha", "dekhi",
              "dekhe", "tha", "thi", "gaya", "gayi", "gaye", "hua", "hui", "kiya", "khaya", "suna", "aaya", "aayi",
              "gya", "gyi"),
        next=("अगले", "अगला", "अगली", "agle", "agla", "agli", "aane wale", "आने वाले"),
        last=("पिछले", "पिछला", "पिछली", "pichle", "pichhle"), this=("इस", "is", "iss"), week=("हफ्ते", "हफ्ता", "सप्ताह", "hafte", "hafta"),
        morning=("सुबह", "subah", "subha", "savere"), afternoon=("दोपहर", "dopahar", "dopehar", "dophar"),
        evening=("शाम", "रात", "shaam", "sham", "raat"), noon=("दोपहर 12", "लंच के समय", "लंच टाइम", "lunch time"), at=("को", "पर", "ko", "par"),
        oclock=("बजे", "baje", "bje", "बज"), half=("साढ़े", "साढे", "sadhe", "saade", "sade"),
        late=("सबसे आखिरी", "आखिरी समय", "दिन के अंत में", "aakhri time", "sabse late"),
        asap=("जल्द से जल्द", "jaldi se jaldi", "jald se jald", "जितनी जल्दी हो सके", "jitna jaldi"),
        after=("के बाद", "ke baad", "baad"), before=("से पहले", "se pehle", "pehle"),
        numbers={"एक": 1, "दो": 2, "तीन": 3, "चार": 4, "पांच": 5, "पाँच": 5, "छह": 6, "छः": 6, "सात": 7, "आठ": 8, "नौ": 9, "दस": 10,
                 "ग्यारह": 11, "बारह": 12, "ek": 1, "do": 2, "teen": 3, "char": 4, "paanch": 5, "panch": 5, "chhe": 6, "che": 6,
                 "saat": 7, "aath": 8, "nau": 9, "das": 10, "gyarah": 11, "barah": 12, "तेरह": 13, "चौदह": 14,
                 "पंद्रह": 15, "सोलह": 16, "सत्रह": 17, "अठारह": 18, "उन्नीस": 19, "बीस": 20, "इक्कीस": 21, "बाईस": 22,
                 "तेईस": 23, "चौबीस": 24, "पच्चीस": 25, "छब्बीस": 26, "सत्ताईस": 27, "अट्ठाईस": 28, "उनतीस": 29,
                 "तीस": 30, "इकतीस": 31, "इकत्तीस": 31, "पहला": 1, "पहली": 1},
        yes=("हाँ", "हां", "जी", "जी हाँ", "ठीक है", "ठीक", "बिल्कुल", "हा", "haan", "han", "ha", "haa", "ji", "haanji", "theek hai",
             "thik hai", "bilkul", "sahi", "pakka", "kar do"),
        no=("नहीं", "ना", "nahi", "nahin", "nai", "na", "mat"),
        not_now=("अभी नहीं", "फिर कभी", "abhi nahi", "phir kabhi"),
        greeting=("नमस्ते", "नमस्कार", "namaste", "namaskar", "hello ji"),
        thanks=("धन्यवाद", "शुक्रिया", "dhanyavad", "dhanyawad", "shukriya", "thank you ji"),
        book=("अपॉइंटमेंट", "अपोइंटमेंट", "बुक", "appointment", "book karna", "book karni", "milna hai", "dikhana hai", "सफाई",
              "safai", "jaanch", "जांच", "चेकअप", "checkup", "aa sakta", "aa sakti", "aa sakte", "aana hai", "aana chahta",
              "aana chahti", "आ सकता", "आ सकती", "आ सकते", "आना है"),
        cancel=("रद्द", "कैंसल", "cancel karna", "cancel kar", "radd", "nahi aa paunga", "nahi aa paungi"),
        reschedule=("बदलना", "बदल दो", "समय बदल", "badalna", "badal do", "time change", "reschedule karna", "aage karna"),
        confirm=("पक्का", "आऊंगा", "आऊंगी", "confirm karna", "aaunga", "aaungi"),
        confirm_verbs=("कन्फर्म", "पक्का", "confirm", "pakka"),
        visit=("अपॉइंटमेंट", "अपोइंटमेंट", "appointment", "appt", "सफाई", "safai", "jaanch", "जांच", "checkup"),
        other_times=("दूसरा समय", "दूसरे समय", "और समय", "dusra time", "doosra time", "aur time", "koi aur"),
        info=("पता", "कहां", "कहाँ", "पार्किंग", "बीमा", "समय क्या है", "address", "kahan", "parking", "insurance", "kab khulta"),
        never_mind=("रहने दो", "छोड़ो", "rehne do", "chhodo", "chodo"),
        day_articles=("तारीख", "tarikh"), minutes=("मिनट", "मिनटों", "minute", "min"), hours=("घंटे", "ghante"),
        days=("दिन", "din"), month_spans=("महीने", "महीनों", "महीना", "mahine", "mahina"),
        year_spans=("साल", "वर्ष", "saal", "sal"), midnight=("आधी रात", "aadhi raat", "adhi raat"), within=("में", "me", "mein", "baad", "बाद"), now=("अभी", "अब", "abhi", "ab"),
        ago_after=("पहले", "pehle"), years={"दो हजार": 2000, "उन्नीस सौ": 1900, "do hazar": 2000}, ordinal_ending="(?:\\s*(?:वें|वीं|वां))?",
        clock_fractions={"साढ़े": 30, "साढे": 30, "sadhe": 30, "saade": 30, "sade": 30, "saadhe": 30, "सवा": 15,
                         "sava": 15, "sawa": 15, "पौने": -15, "paune": -15, "pone": -15},
        name=("हिंदी", "हिन्दी", "hindi"),
        markers=("है", "हूं", "हूँ", "मुझे", "क्या", "का", "की", "के", "में", "और", "hai", "hain", "mujhe", "muje", "kya", "karna",
                 "chahiye", "chahie", "kab", "mera", "meri", "aap", "ke", "ki", "ko", "hoon", "aur", "baat", "kisi",
                 "karni", "karo", "raha", "rahi", "gaya", "gayi", "dekha", "kal", "raat", "kahan", "nahi", "apna",
                 "apni", "kuch", "koi", "daant", "khoon", "bahut", "abhi", "aaj", "wala", "wali"),
    ),
}  # fmt: skip
