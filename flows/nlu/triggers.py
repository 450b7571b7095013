"""Words that hand a conversation to staff, in every supported language (accent-folded, lowercase).

Kept apart from the booking vocabulary because a miss here is costly: a patient in pain or asking for a person
must reach the front desk whatever else the message says. Practices add their own emergency words in config.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

HUMAN: dict[str, tuple[str, ...]] = {
    "en": ("human", "a person", "real person", "talk to someone", "speak to someone", "speak with someone",
           "someone call me", "someone to call me", "receptionist", "front desk", "staff", "agent",
           "call me", "talk to a", "speak to a", "speak with a", "operator"),
    "es": ("una persona", "humano", "alguien", "recepcion", "recepcionista", "hablar con", "un agente", "llamenme",
           "llamame"),
    "pt": ("uma pessoa", "atendente", "humano", "alguem", "recepcao", "falar com", "me liga", "me ligue"),
    "fr": ("une personne", "humain", "quelqu'un", "accueil", "secretariat", "parler a", "parler avec",
           "appelez-moi", "rappelez-moi"),
    "de": ("einen menschen", "mensch", "jemanden", "rezeption", "mitarbeiter", "sprechen mit", "rufen sie mich",
           "ruckruf", "rueckruf"),
    "ar": ("موظف", "شخص حقيقي", "انسان", "إنسان", "الاستقبال", "اتكلم مع", "أتكلم مع", "التحدث مع", "اتصلوا بي"),
    "hi": ("इंसान", "किसी से बात", "रिसेप्शन", "स्टाफ", "कॉल करें", "insaan", "kisi se baat", "staff se baat",
           "call karo", "call kijiye"),
}  # fmt: skip
EMERGENCY: dict[str, tuple[str, ...]] = {
    "en": ("pain", "hurts", "hurting", "ache", "swelling", "swollen", "bleeding", "broken tooth", "knocked out",
           "abscess", "chipped", "fell out"),
    "es": ("dolor", "duele", "hinchad", "hinchazon", "sangra", "sangrado", "roto", "rota", "absceso", "se me cayo"),
    "pt": ("dor", "doendo", "doi", "inchad", "inchaco", "sangra", "sangramento", "quebrad", "abscesso"),
    "fr": ("douleur", "mal aux dents", "j'ai mal", "gonfle", "enfle", "saigne", "saignement", "casse", "abces"),
    "de": ("schmerz", "tut weh", "geschwollen", "schwellung", "blutet", "blutung", "abgebrochen", "abszess"),
    "ar": ("ألم", "الم", "وجع", "يوجعني", "تورم", "انتفاخ", "نزيف", "ينزف", "مكسور", "خراج"),
    "hi": ("दर्द", "सूजन", "खून", "टूट", "फोड़ा", "dard", "sujan", "soojan", "khoon", "toot gaya"),
}  # fmt: skip


class OutOfScope(StrEnum):
    BILLING = "billing"
    CLINICAL = "clinical"


OUT_OF_SCOPE: dict[OutOfScope, dict[str, tuple[str, ...]]] = {
    OutOfScope.BILLING: {
        "en": ("my bill", "the bill", "billing", "invoice", "charged", "overcharged", "refund", "statement", "balance", "payment plan"),
        "es": ("factura", "cobro", "cobraron", "reembolso", "saldo", "pago"),
        "pt": ("fatura", "cobranca", "cobraram", "reembolso", "saldo", "pagamento"),
        "fr": ("facture", "facturation", "rembourse", "remboursement", "solde", "paiement"),
        "de": ("rechnung", "erstattung", "ruckerstattung", "rueckerstattung", "zahlung", "kontostand"),
        "ar": ("فاتورة", "الفاتورة", "استرداد", "الدفع", "رصيد"),
        "hi": ("बिल", "भुगतान", "रिफंड", "bill ka", "refund", "payment"),
    },
    OutOfScope.CLINICAL: {
        "en": ("antibiotic", "medication", "medicine", "prescription", "ibuprofen", "is it normal", "should i take",
               "side effect", "x-ray results", "diagnosis", "treatment plan"),
        "es": ("antibiotico", "medicamento", "medicina", "receta", "es normal", "debo tomar", "efecto secundario",
               "diagnostico"),
        "pt": ("antibiotico", "medicamento", "remedio", "receita", "e normal", "devo tomar", "efeito colateral",
               "diagnostico"),
        "fr": ("antibiotique", "medicament", "ordonnance", "est-ce normal", "c'est normal", "dois-je prendre",
               "effet secondaire", "diagnostic"),
        "de": ("antibiotikum", "medikament", "rezept", "ist das normal", "soll ich nehmen", "nebenwirkung", "diagnose"),
        "ar": ("مضاد حيوي", "دواء", "وصفة", "هل هذا طبيعي", "آثار جانبية", "تشخيص"),
        "hi": ("दवा", "दवाई", "एंटीबायोटिक", "क्या यह नॉर्मल", "dawai", "dawa", "antibiotic"),
    },
}  # fmt: skip


def words(table: dict[str, tuple[str, ...]], languages: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The words of every language (or of the given ones): a patient may mix languages."""
    return tuple(w for lang, ws in table.items() if languages is None or lang in languages for w in ws)


# A whole message of one of these (as SMS keywords work): reminders stop, or start again. Never part of a sentence:
# "stop by on Tuesday" is a visit, not an opt-out.
OPT_OUT: dict[str, tuple[str, ...]] = {
    "en": ("stop", "unsubscribe", "stop reminders", "stop messages", "no more messages", "opt out", "optout"),
    "es": ("baja", "darme de baja", "parar", "detener", "no mas mensajes", "no mas recordatorios", "stop"),
    "pt": ("parar", "sair", "descadastrar", "nao quero mais mensagens", "stop"),
    "fr": ("arreter", "arret", "stop", "desabonner", "se desabonner", "desinscrire", "plus de messages"),
    "de": ("stopp", "stop", "abmelden", "keine nachrichten mehr", "keine erinnerungen mehr"),
    "ar": ("إيقاف", "ايقاف", "توقف", "الغاء الاشتراك", "إلغاء الاشتراك", "stop"),
    "hi": ("रोकें", "रोको", "बंद करो", "band karo", "band kro", "roko", "stop"),
}  # fmt: skip
OPT_IN: dict[str, tuple[str, ...]] = {
    "en": ("start", "unstop", "resume", "opt in", "optin", "start reminders"),
    "es": ("alta", "darme de alta", "reanudar", "iniciar", "start"),
    "pt": ("voltar", "retomar", "reativar", "start"),
    "fr": ("demarrer", "reprendre", "start"),
    "de": ("start", "anmelden", "fortsetzen"),
    "ar": ("ابدأ", "ابدا", "تشغيل", "start"),
    "hi": ("शुरू", "शुरू करो", "shuru", "shuru karo", "start"),
}  # fmt: skip


def opt_out_word(text: str, fold: Callable[[str], str]) -> bool | None:
    """True for a whole-message STOP in any language, False for START, else None."""

    def bare(words_: str) -> str:  # punctuation and emphasis dropped ("Stop!", "STOP.")
        return " ".join(re.sub(r"[^\w\s'\u0900-\u097f]", " ", fold(words_)).split())

    said = bare(text)
    if not said:
        return None
    if said in {bare(w) for w in words(OPT_OUT)}:
        return True
    if said in {bare(w) for w in words(OPT_IN)}:
        return False
    return None
