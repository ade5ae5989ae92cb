"""What the IVR says of its own (greeting and menu aside, which the scenario and the cell set):
French first, English available. Spoken through channels/voice/spoken.py like every text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from crisis.i18n import translate

TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    "greeting": {
        "fr": "Vous êtes en relation avec le service d'information du Gouvernement. Si vous "
              "êtes en danger, raccrochez et appelez immédiatement le 112.",
        "en": "You are connected to the Government information service. If you are in "
              "danger, hang up and call 112 immediately.",
    },
    "menu": {
        "fr": "Pour réécouter les consignes, tapez 1. Pour les recevoir par SMS, tapez 2. "
              "Pour poser une question, tapez 3. Pour parler à un conseiller, tapez 4.",
        "en": "To hear the instructions again, press 1. To receive them by text message, "
              "press 2. To ask a question, press 3. To talk to an adviser, press 4.",
    },
    # Said in the other language, with its voice: the way out for who does not understand.
    "switch": {"fr": "For English, press 9.", "en": "Pour le français, tapez 9."},
    "instructions": {"fr": "Voici les consignes en vigueur.",
                     "en": "Here are the current instructions."},
    "no_instructions": {"fr": "Aucune consigne particulière n'est en vigueur pour le moment.",
                        "en": "No particular instruction is in force at the moment."},
    "ask": {"fr": "Posez votre question maintenant, en quelques mots.",
            "en": "Ask your question now, in a few words."},
    "not_heard": {"fr": "Nous n'avons pas compris.", "en": "We did not understand."},
    "one_moment": {"fr": "Un instant, nous cherchons la réponse.",
                   "en": "One moment, we are looking for the answer."},
    "answer_menu": {
        "fr": "Pour recevoir cette réponse par SMS, tapez 2. Pour poser une autre question, "
              "tapez 3. Pour parler à un conseiller, tapez 4. Pour revenir au menu, tapez 1.",
        "en": "To receive this answer by text message, press 2. To ask another question, "
              "press 3. To talk to an adviser, press 4. To go back to the menu, press 1.",
    },
    "sms_sent": {"fr": "C'est envoyé par SMS au numéro d'où vous appelez.",
                 "en": "It is on its way by text message to the number you are calling from."},
    "no_sms": {"fr": "Nous ne pouvons pas envoyer de SMS à ce numéro.",
               "en": "We cannot send a text message to this number."},
    "sms_instructions": {"fr": "Consignes officielles : {titles}. Détails : {site}",
                         "en": "Official instructions: {titles}. Details: {site}"},
    "wait": {"fr": "Vous êtes en position {position} dans la file. Attente estimée : "
                   "{minutes} min.",
             "en": "You are number {position} in the queue. Estimated wait: {minutes} min."},
    "still_waiting": {"fr": "Merci de patienter, un conseiller va vous répondre.",
                      "en": "Please hold, an adviser will answer you."},
    "callback_offer": {"fr": "L'attente est longue. Pour être rappelé dès qu'un conseiller "
                             "sera libre, tapez 1. Sinon, restez en ligne.",
                       "en": "The wait is long. To be called back as soon as an adviser is "
                             "free, press 1. Otherwise, please hold."},
    "queue_full": {"fr": "Tous nos conseillers sont occupés. Pour être rappelé dès que l'un "
                         "d'eux sera libre, tapez 1.",
                   "en": "All our advisers are busy. To be called back as soon as one is "
                         "free, press 1."},
    "callback_noted": {"fr": "C'est noté : un conseiller vous rappellera au plus vite, à ce "
                             "numéro. Au revoir.",
                       "en": "Noted: an adviser will call you back as soon as possible, on "
                             "this number. Goodbye."},
    "no_callback": {"fr": "Nous ne pouvons pas rappeler un numéro masqué. Les consignes sont "
                          "sur le site internet du Gouvernement. Au revoir.",
                    "en": "We cannot call back a hidden number. The instructions are on the "
                          "Government website. Goodbye."},
    "connecting": {"fr": "Nous vous mettons en relation avec un conseiller.",
                   "en": "We are putting you through to an adviser."},
    "operator_missed": {"fr": "Le conseiller n'a pas pu être joint. Vous gardez votre place "
                              "dans la file.",
                        "en": "The adviser could not be reached. You keep your place in the "
                              "queue."},
    "callback_intro": {"fr": "Bonjour, ici le service d'information du Gouvernement : vous "
                             "avez demandé à être rappelé.",
                       "en": "Hello, this is the Government information service: you asked "
                             "to be called back."},
    "goodbye": {"fr": "Merci de votre appel. Au revoir.", "en": "Thank you for calling. Goodbye."},
    "trouble": {"fr": "Nous rencontrons une difficulté. Les consignes sont sur le site "
                      "internet du Gouvernement. En cas de danger, appelez le 112.",
                "en": "We are having trouble. The instructions are on the Government "
                      "website. If you are in danger, call 112."},
}


def voice_text(key: str, lang: str) -> str:
    """The IVR's text `key` in `lang` (French when there is no translation)."""
    return translate(TEXTS, key, lang)
