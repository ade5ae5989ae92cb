"""Words of the cell's pulse-question pages (/cell/pulses): French first, English available."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

MESSAGES: Final[Mapping[str, Mapping[str, str]]] = {
    "title": {"fr": "Sondages éclair", "en": "Pulse questions"},
    "intro": {"fr": "Une question à un échantillon tiré au hasard parmi les abonnés aux alertes, "
                    "par SMS et Telegram : ils répondent par un numéro, les réponses sont "
                    "comptées en direct avec leur marge d'erreur.",
              "en": "One question to a random sample of alert subscribers, by SMS and "
                    "Telegram: they reply with a number, answers are counted live with their "
                    "margin of error."},
    "list": {"fr": "Sondages récents", "en": "Recent pulse questions"},
    "none": {"fr": "Aucun sondage pour l'instant.", "en": "No pulse question yet."},
    "question": {"fr": "Question", "en": "Question"},
    "state": {"fr": "État", "en": "State"},
    "state.open": {"fr": "Ouvert", "en": "Open"},
    "state.closed": {"fr": "Clos", "en": "Closed"},
    "sent": {"fr": "Envoyés", "en": "Sent"},
    "answers": {"fr": "Réponses", "en": "Answers"},
    "rate": {"fr": "Taux de réponse", "en": "Response rate"},
    "new": {"fr": "Nouveau sondage", "en": "New pulse question"},
    "new.help": {"fr": "Le message envoyé : « Sondage du Service d'information du Gouvernement : "
                       "<question> Répondez 1 pour …, 2 pour … (STOP pour ne plus recevoir "
                       "d'alertes) ». Les abonnés anglophones le reçoivent en anglais si vous "
                       "l'écrivez aussi en anglais.",
                 "en": "The message sent: \"Sondage du Service d'information du Gouvernement: "
                       "<question> Répondez 1 pour …, 2 pour … (STOP …)\". English-speaking "
                       "subscribers get it in English if you write it in English too."},
    "field.question": {"fr": "Question (en français)", "en": "Question (in French)"},
    "field.option": {"fr": "Réponse {n}", "en": "Answer {n}"},
    "field.options": {"fr": "Réponses en français (2 à 5, numérotées dans l'ordre)",
                      "en": "Answers in French (2 to 5, numbered in order)"},
    "field.english": {"fr": "En anglais (facultatif)", "en": "In English (optional)"},
    "field.question_en": {"fr": "Question en anglais", "en": "Question in English"},
    "field.option_en": {"fr": "Réponse {n} en anglais", "en": "Answer {n} in English"},
    "field.channels": {"fr": "Canaux", "en": "Channels"},
    "field.channels.help": {"fr": "Seulement ceux où l'on répond par un numéro : pas l'e-mail "
                                  "(une réponse cite le message), pas les notifications du "
                                  "navigateur (on n'y répond pas).",
                            "en": "Only those where one replies with a number: not e-mail (a "
                                  "reply quotes the message), not browser notifications (one "
                                  "cannot reply)."},
    "field.areas": {"fr": "Départements (vide : toute la France)",
                    "en": "Départements (empty: all of France)"},
    "field.areas.help": {"fr": "Codes séparés par des espaces, par exemple 75 92 2A.",
                         "en": "Codes separated by spaces, for example 75 92 2A."},
    "field.sample": {"fr": "Taille de l'échantillon", "en": "Sample size"},
    "field.sample.help": {"fr": "Tirés au hasard, sans remise, parmi les abonnés du périmètre "
                                "(tous s'ils sont moins nombreux).",
                          "en": "Drawn at random, without replacement, among the subscribers "
                                "in scope (all of them if there are fewer)."},
    "field.minutes": {"fr": "Durée", "en": "Duration"},
    "send": {"fr": "Envoyer le sondage", "en": "Send the pulse question"},
    "errors": {"fr": "Le sondage n'est pas parti :", "en": "The pulse question was not sent:"},
    "err.question": {"fr": "écrivez la question.", "en": "write the question."},
    "err.question_long": {"fr": "la question dépasse {max} caractères.",
                          "en": "the question is longer than {max} characters."},
    "err.options": {"fr": "donnez de 2 à 5 réponses (vous en avez donné {count}).",
                    "en": "give 2 to 5 answers (you gave {count})."},
    "err.options_en": {"fr": "en anglais, écrivez la question et autant de réponses qu'en "
                             "français, ou rien.",
                       "en": "in English, write the question and as many answers as in "
                             "French, or nothing."},
    "err.option_long": {"fr": "une réponse dépasse {max} caractères.",
                        "en": "an answer is longer than {max} characters."},
    "err.channels": {"fr": "choisissez au moins un canal : SMS ou Telegram.",
                     "en": "choose at least one channel: SMS or Telegram."},
    "err.areas": {"fr": "département inconnu : {codes} (écrivez par exemple 75, 2A ou 971).",
                  "en": "unknown département: {codes} (write for example 75, 2A or 971)."},
    "err.sample": {"fr": "la taille de l'échantillon est un nombre entier de 1 à {max}.",
                   "en": "the sample size is a whole number from 1 to {max}."},
    "err.minutes": {"fr": "la durée va de {min} à {max} minutes.",
                    "en": "the duration is from {min} to {max} minutes."},
    "err.nobody": {"fr": "aucun abonné dans ce périmètre sur ces canaux.",
                   "en": "nobody is subscribed there on these channels."},
    "err.too_many": {"fr": "5 sondages sont déjà ouverts : fermez-en un d'abord.",
                     "en": "5 pulse questions are open already: close one first."},
    "took_all": {"fr": "Vous demandiez {asked} personnes : les {drawn} abonnés du périmètre ont "
                       "tous été tirés.",
                 "en": "You asked for {asked} people: all {drawn} subscribers in scope were "
                       "drawn."},
    "back": {"fr": "Tous les sondages", "en": "All pulse questions"},
    "scope": {"fr": "Périmètre", "en": "Scope"},
    "national": {"fr": "toute la France", "en": "all of France"},
    "sample": {"fr": "Échantillon", "en": "Sample"},
    "sample.line": {"fr": "{drawn} tirés sur {population} abonnés (demandés : {asked}), "
                          "graine {seed}",
                    "en": "{drawn} drawn of {population} subscribers (asked: {asked}), "
                          "seed {seed}"},
    "sending": {"fr": "Envoi", "en": "Sending"},
    "sending.line": {"fr": "{sent} envoyés sur {total}", "en": "{sent} sent of {total}"},
    "sending.progress": {"fr": "suivre l'envoi", "en": "follow the sending"},
    "ends": {"fr": "Fin", "en": "Ends"},
    "closed_at": {"fr": "Clos le", "en": "Closed"},
    "results": {"fr": "Résultats", "en": "Results"},
    "results.summary": {"fr": "{answers} réponses, taux de réponse {rate}",
                        "en": "{answers} answers, response rate {rate}"},
    "results.none": {"fr": "Aucune réponse pour l'instant.", "en": "No answer yet."},
    "option": {"fr": "Réponse", "en": "Answer"},
    "count": {"fr": "Nombre", "en": "Count"},
    "share": {"fr": "Part", "en": "Share"},
    "margin": {"fr": "Marge (95 %)", "en": "Margin (95 %)"},
    "interval": {"fr": "Intervalle", "en": "Interval"},
    "chart": {"fr": "Part de chaque réponse, avec sa marge d'erreur à 95 %",
              "en": "Share of each answer, with its 95 % margin of error"},
    # A bar's label in the chart, and one answer in the chart's text alternative.
    "chart.bar": {"fr": "{number}. {option} : {share}", "en": "{number}. {option}: {share}"},
    "chart.figures": {"fr": "{number}. {option} : {share} {margin} ({answers} réponses)",
                      "en": "{number}. {option}: {share} {margin} ({answers} answers)"},
    "chart.join": {"fr": " ; ", "en": "; "},
    "margin.help": {"fr": "Marge d'erreur à 95 % d'un échantillon aléatoire simple, corrigée "
                          "de la population finie (les abonnés du périmètre). Elle ne mesure "
                          "pas le biais de non-réponse.",
                    "en": "95 % margin of error of a simple random sample, with the finite "
                          "population correction (the subscribers in scope). It does not "
                          "measure non-response bias."},
    "close": {"fr": "Clore le sondage", "en": "Close the pulse question"},
    "updated": {"fr": "Mis à jour à", "en": "Updated at"},
    "refresh": {"fr": "Actualiser", "en": "Refresh"},
    "ch.sms": {"fr": "SMS", "en": "SMS"},
    "ch.telegram": {"fr": "Telegram", "en": "Telegram"},
    "open_link": {"fr": "Voir les résultats", "en": "See the results"},
}
