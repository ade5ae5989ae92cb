"""The situation report rendered: Markdown (for a message or a wiki), a standalone HTML
document (the command line; its print stylesheet and the charts' inlined) and the body the
cell's page shows through the page shell, with its charts (monitoring/charts.py: contacts per
channel, signals per source, the map by département, each poll question's trend). French
first, English available (monitoring/messages.py)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo
from collections.abc import Mapping
from importlib import resources
from typing import Any

import jinja2

from crisis.i18n import translate
from markupsafe import Markup

from crisis.local_time import local_time
from monitoring import charts
from monitoring.messages import MESSAGES, scope_label, watch_label


def t(key: str, lang: str) -> str:
    return translate(MESSAGES, key, lang)


def when(iso: str, zone: str = "Europe/Paris", lang: str = "fr") -> str:
    """A report's time as people read it in a briefing, in the centre's time zone
    (CRISIS_TIMEZONE, recorded with the report): 02/12/2026 à 15:05."""
    if not iso:
        return ""
    return local_time(dt.datetime.fromisoformat(iso), ZoneInfo(zone), lang, "datetime")


def signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}"


def report_charts(report: Mapping[str, Any], lang: str = "fr") -> dict[str, Any]:
    """The report's charts (an archived report from before the charts has no map or trends:
    those are left out). Cached by their data like the live page's."""
    out: dict[str, Any] = {"contacts": Markup(""), "sources": Markup(""), "map": Markup(""),
                           "polls": {}}
    contact = report.get("contact")
    if contact is not None and contact.get("total"):
        out["contacts"] = charts.bar_chart(
            "rep-chart-contacts", t("sit.by_channel", lang),
            [(t(f"channel.{kind}", lang), int(f["contacts"]))
             for kind, f in contact["channels"].items()])
    sources = [(name.removeprefix("source:"), int(n))
               for name, n in sorted(report["signals"].items()) if name != "all"]
    if sources:
        out["sources"] = charts.bar_chart("rep-chart-sources", t("rep.signals", lang), sources)
    if "areas" in report:
        out["map"] = charts.departement_map("rep-map", t("map.report_title", lang),
                                            sorted(report["areas"].items()), lang)
        out["map_top"] = charts.top_areas(report["areas"].items(), 10)
    for index, question in enumerate(report.get("poll_trends", []), start=1):
        out["polls"][question["question"]] = charts.poll_chart(f"rep-poll-{index}", question, lang)
    return out


# What the report's templates call, here and on the cell's pages (report_pages.py).
HELPERS: Mapping[str, Any] = {"when": when, "signed": signed, "report_charts": report_charts,
                              "watch_label": watch_label, "scope_label": scope_label}


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("monitoring", "templates"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.globals.update(HELPERS, t=t)
    env.filters.update(when=when, signed=signed)
    return env


_ENV = _env()


def report_html(report: Mapping[str, Any], lang: str = "fr") -> str:
    """A whole HTML document (screen and print styles inlined): `crisis report --format html`."""
    css = "\n".join(((resources.files("monitoring") / "static" / "situation_report.css")
                     .read_text("utf-8"), charts.stylesheet()))
    return _ENV.get_template("report_document.html").render(report=report, lang=lang, css=css)


def _contact_md(contact: Mapping[str, Any] | None, lang: str) -> list[str]:
    c = t("sit.colon", lang)
    if contact is None:
        return [t("sit.unavailable", lang)]
    lines = [f"- {t('rep.contacts_total', lang)}{c}{contact['total']}"
             f" ({t('rep.auto', lang)} {contact['auto_answered']},"
             f" {t('rep.abandoned', lang)} {contact['abandoned']})"]
    lines += [f"  - {t('channel.' + kind, lang)}{c}{figures['contacts']}"
              for kind, figures in contact["channels"].items()]
    lines.append(f"- {t('sit.queue_length', lang)}{c}{contact['queue_length']}")
    lines.append(f"- {t('rep.operators', lang)}{c}{contact['operators_signed_in']}")
    return lines


def _watch_md(report: Mapping[str, Any], lang: str) -> list[str]:
    c = t("sit.colon", lang)
    signals, watch = report["signals"], report["watch"]
    lines = [f"- {t('rep.signals', lang)}{c}{signals['all']}"]
    lines += [f"  - {name.removeprefix('source:')}{c}{n}"
              for name, n in sorted(signals.items()) if name != "all"]
    top = charts.top_areas(dict(report.get("areas") or {}).items(), 10)
    if top:
        lines.append(f"- {t('map.most', lang)}{c}"
                     + ", ".join(f"{code} {name} {n}" for code, name, n in top))
    if watch is None:
        return [*lines, t("sit.unavailable", lang)]
    for spike in watch["spikes"]:
        lines.append(f"- {t('rep.spike', lang)}{c}{watch_label(spike['kind'], spike['value'], lang)}"
                     f" ({spike['count']}, {t('watch.col.baseline', lang)} {spike['baseline']})")
    for term in watch["terms"]:
        lines.append(f"- {t('rep.term', lang)}{c}{term['term']}"
                     f" ({scope_label(term['scope'], lang)}, x {term['ratio']})")
    if not watch["spikes"] and not watch["terms"]:
        lines.append(f"- {t('rep.no_trend', lang)}")
    return lines


def report_markdown(report: Mapping[str, Any], lang: str = "fr") -> str:
    """The report as Markdown: one `##` section each, in the briefing's order."""
    c = t("sit.colon", lang)
    zone = str(report.get("timezone", "UTC"))
    out = [f"# {t('rep.title', lang)}", "",
           f"{t('rep.period', lang)}{c}{when(report['from'], zone, lang)} → {when(report['to'], zone, lang)}  ",
           f"{t('rep.written', lang)}{c}{when(report['at'], zone, lang)} ({report['by']})", "",
           f"## {t('sit.crises', lang)}", ""]
    out += [f"- {cr['title']} · {t('rep.level', lang)} {cr['level']} · "
            f"{', '.join(cr['areas']) or t('sit.national', lang)}" for cr in report["crises"]] \
        or [t("rep.no_crisis", lang)]
    out += ["", f"## {t('sit.contacts', lang)}", "", *_contact_md(report["contact"], lang)]
    if report["kb"] is not None and report["kb"]["automatic_share"] is not None:
        out.append(f"- {t('sit.automatic_share', lang)}{c}"
                   f"{round(float(report['kb']['automatic_share']) * 100)} %")
    out += ["", f"## {t('rep.trends', lang)}", "", *_watch_md(report, lang)]
    out += ["", f"## {t('watch.rumours', lang)}", ""]
    rumours = (report["watch"] or {}).get("rumours", [])
    out += [f"- « {r['claim']} »{c}{r['count']}" + (f" ({t('watch.rising', lang)})"
                                                    if r["rising"] else "") for r in rumours] \
        or [t("watch.no_rumour", lang)]
    out += ["", f"## {t('poll.title', lang)}", ""]
    for question in report["polls"]:
        out.append(f"- {question['question']}")
        for a in question["answers"]:
            change = "" if a["change_pct"] is None else (
                f", {signed(a['change_pct'])} " + t("rep.significant" if a["significant"]
                                                    else "rep.within_margin", lang))
            out.append(f"  - {a['answer']}{c}{a['share_pct']} % ± {a['margin_pct']}"
                       f" ({a['date']}, {a['institute']}{change})")
    if not report["polls"]:
        out.append(t("rep.no_poll", lang))
    out += ["", f"## {t('rep.publications', lang)}", ""]
    out += [f"- {when(p['published_at'], zone, lang)} · {p['title']}"
            + (f" ({t('rep.withdrawn', lang)})" if p["withdrawn"] else "")
            for p in report["publications"]] or [t("rep.no_publication", lang)]
    return "\n".join(out) + "\n"
