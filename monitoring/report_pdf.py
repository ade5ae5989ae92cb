"""The situation report as PDF (`crisis report --format pdf`, the cell's "PDF" link): the
standalone HTML document of report_render.py laid out by WeasyPrint, so the PDF is the
printed page the cell already knows (same stylesheet, its @media print rules included).

WeasyPrint is a well-kept HTML/CSS-to-PDF engine; it needs the Pango library of the system
(Debian: `apt-get install libpango-1.0-0 libpangoft2-1.0-0`). Without it the rest of the
centre runs and only the PDF is refused with a message that says what to install: it is
imported on first use, never at start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from crisis.errors import Unavailable
from monitoring.report_render import report_html

# A PDF takes WeasyPrint about 0.65 s of CPU (a day's report, its import included; measured
# 2026-12-02 as `crisis report --format pdf` minus `--format html`): one at a time per
# process, so a burst of clicks queues instead of starving the event loop's thread pool.
_ONE_AT_A_TIME = asyncio.Semaphore(1)

MISSING = ("PDF needs WeasyPrint and the Pango library: pip install weasyprint; "
           "apt-get install libpango-1.0-0 libpangoft2-1.0-0 (Debian). "
           "Meanwhile: --format html, then print to PDF from a browser")


def report_pdf(report: Mapping[str, Any], lang: str = "fr") -> bytes:
    """The report's PDF bytes; Unavailable (with what to install) when WeasyPrint cannot load."""
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: the Pango shared library is missing
        raise Unavailable(f"{MISSING} ({error})") from error
    document = weasyprint.HTML(string=report_html(report, lang))
    pdf: bytes = document.write_pdf()
    return pdf


async def report_pdf_async(report: Mapping[str, Any], lang: str = "fr") -> bytes:
    """report_pdf in a worker thread, one at a time: the event loop keeps serving."""
    async with _ONE_AT_A_TIME:
        return await asyncio.to_thread(report_pdf, report, lang)


def pdf_filename(report: Mapping[str, Any]) -> str:
    """point-de-situation-20261202T150500Z.pdf: the archive id's time, ASCII only."""
    return f"point-de-situation-{str(report.get('id', 'report')).split('-')[0]}.pdf"
