"""The statistics page, its JSON (drawn by static/js/stats.js) and its CSV export.

Every figure comes from `curation.selectors_stats`; before reading, the view lets the rollup
count what the logs gained since (at most STATS_REFRESH_ROWS_PER_REQUEST rows: the page
says when its figures lag, and the scheduled `curation_stats --refresh` catches up).
"""

import csv
import datetime as dt

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views import View

from curation import selectors_stats as stats
from curation.services import stats_rollup
from curation.views.common import CuratorAccessMixin

QUICK_RANGES = ((7, "Last 7 days"), (30, "Last 30 days"), (90, "Last 90 days"), (365, "Last year"))


def _read(request):
    """(range, figures, lag), or (None, error message, None) for a bad range."""
    try:
        r = stats.parse_range(request.GET)
    except stats.StatsRangeError as exc:
        return None, str(exc), None
    lag = stats_rollup.refresh(max_rows=settings.STATS_REFRESH_ROWS_PER_REQUEST)
    return r, stats.all_figures(r), lag


class StatsView(CuratorAccessMixin, View):
    def get(self, request):
        r, figures, lag = _read(request)
        today = stats.today()
        quick = [
            (
                label,
                "?" + urlencode({"from": (today - dt.timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}),
            )
            for days, label in QUICK_RANGES
        ]
        context = {
            "quick_ranges": quick,
            "time_zone": settings.STATS_TIME_ZONE,
            "from_value": request.GET.get("from", "")[:10],
            "to_value": request.GET.get("to", "")[:10],
        }
        if r is None:
            context["error"] = figures
            return render(request, "curation/stats.html", context, status=400)
        query = urlencode({"from": r.start.isoformat(), "to": r.end.isoformat()})
        context.update(
            range=r,
            from_value=r.start.isoformat(),
            to_value=r.end.isoformat(),
            figures=[(figure, *stats.table(figure)) for figure in figures],
            lagging=sum(lag.values()),
            data_url=f"{reverse('curation:stats-data')}?{query}",
            export_url=f"{reverse('curation:stats-export')}?{query}",
        )
        return render(request, "curation/stats.html", context)


class StatsDataView(CuratorAccessMixin, View):
    def get(self, request):
        r, figures, lag = _read(request)
        if r is None:
            return JsonResponse({"ok": False, "error": figures}, status=400)
        return JsonResponse(
            {
                "ok": True,
                "from": r.start.isoformat(),
                "to": r.end.isoformat(),
                "time_zone": settings.STATS_TIME_ZONE,
                "lagging_rows": lag,
                "figures": figures,
            }
        )


class StatsExportView(CuratorAccessMixin, View):
    def get(self, request):
        r, figures, _lag = _read(request)
        if r is None:
            return HttpResponse(figures, status=400, content_type="text/plain; charset=utf-8")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="newsroom-stats-{r.start}-{r.end}.csv"'
        writer = csv.writer(response)
        writer.writerow(["figure", "x_label", "x", "series", "value"])
        for row in stats.csv_rows(figures):
            writer.writerow([spreadsheet_text(cell) for cell in row])
        return response


# A cell a spreadsheet would read as a formula when the file is opened.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(cell):
    """Text shown as text by Excel, LibreOffice and Sheets: a label that begins like a
    formula (an editor's user name may be "@SUM+1") gets a leading apostrophe, as OWASP
    advises for CSV exports; numbers stay numbers."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell
