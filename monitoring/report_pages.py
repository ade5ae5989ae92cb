"""The cell's situation reports on the web: the "Point de situation" button (POST
/cell/reports) writes the report of the last 24 hours and archives it, then shows it through
the page shell (printable: its print stylesheet keeps only the report); /cell/reports lists
the archive, /cell/reports/{id} shows one again exactly as written, /cell/reports/{id}.pdf
downloads it as PDF (monitoring/report_pdf.py)."""

from __future__ import annotations

from aiohttp import web

from crisis.web.shell import CELL, PageTemplates, back, cell_user, ctx_of, lang_of
from monitoring.keys import WatchKeys
from monitoring.messages import MESSAGES
from monitoring.report_pdf import pdf_filename, report_pdf_async
from monitoring.report_render import HELPERS, signed, when
from monitoring.situation_report import ReportArchive, build_report, period_of

PAGES = PageTemplates("monitoring", CELL, messages=MESSAGES, helpers=HELPERS,
                      filters={"when": when, "signed": signed})


def _archive(request: web.Request) -> ReportArchive:
    ctx = ctx_of(request)
    return ReportArchive(ctx.redis, WatchKeys(ctx.keys))


async def report_list(request: web.Request) -> web.Response:
    cell_user(request)
    return PAGES.page(request, "report_list.html", reports=await _archive(request).listing())


async def report_create(request: web.Request) -> web.StreamResponse:
    """Write the report of the last 24 hours from the live figures, archive it, show it."""
    actor = cell_user(request)
    start, end = period_of(None, None)
    report = await build_report(ctx_of(request), start, end, by=actor.name)
    await _archive(request).put(report)
    raise back(request, f"/cell/reports/{report['id']}")


async def report_page(request: web.Request) -> web.Response:
    cell_user(request)
    report = await _archive(request).get(request.match_info["report_id"])
    return PAGES.page(request, "report_page.html", report=report, lang=lang_of(request))


async def report_pdf_download(request: web.Request) -> web.Response:
    """GET /cell/reports/{id}.pdf: the archived report as a PDF file, in the page's language."""
    cell_user(request)
    report = await _archive(request).get(request.match_info["report_id"])
    pdf = await report_pdf_async(report, lang_of(request))
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{pdf_filename(report)}"',
        "Cache-Control": "private, no-store"})


def setup_report_pages(app: web.Application) -> None:
    app.router.add_get("/cell/reports", report_list)
    app.router.add_post("/cell/reports", report_create)
    app.router.add_get("/cell/reports/{report_id}.pdf", report_pdf_download)
    app.router.add_get("/cell/reports/{report_id}", report_page)
