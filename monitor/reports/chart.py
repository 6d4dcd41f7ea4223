"""The report chart: stacked daily mentions by label, median first response on a second axis."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")  # headless: the daemon and CI have no display

import matplotlib.dates as mdates
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from monitor.reports import copy
from monitor.reports.metrics import LABEL_ORDER

if TYPE_CHECKING:
    from monitor.reports.metrics import Report

WIDTH, HEIGHT, DPI = 12.0, 6.0, 100  # -> 1200 x 600 px, the size Slack previews well
MIN_DAYS = 7  # a short window is still drawn as a week, so bars keep a sensible width
COLORS = {"complaint": "#d62728", "question": "#1f77b4", "praise": "#2ca02c",
          "other": "#b0b0b0"}
RESPONSE_COLOR = "#222222"


def _days(report: Report) -> list[date]:
    """The window's days from the first one with a mention (leading empty days say nothing),
    but at least the window's last MIN_DAYS days, so a quiet start still shows as zeros."""
    all_days = [date.fromisoformat(d) for d in report.by_day]
    with_data = [d for d in all_days if sum(report.by_day[d.isoformat()].values())]
    first = min(with_data[0] if with_data else all_days[-1],
                all_days[-1] - timedelta(days=MIN_DAYS - 1))
    return [d for d in all_days if d >= first]


def _x(day: date) -> float:
    return float(mdates.date2num(datetime.combine(day, time(12))))  # bars mid-day


def render_png(report: Report) -> bytes:
    """The chart as PNG bytes, WIDTH x HEIGHT inches at DPI."""
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    ax = fig.add_subplot()
    days = _days(report)
    zero = dict.fromkeys(LABEL_ORDER, 0)
    counts = [report.by_day.get(d.isoformat(), zero) for d in days]
    bottom = [0] * len(days)
    for label in LABEL_ORDER:
        values = [c.get(label, 0) for c in counts]
        ax.bar([_x(d) for d in days], values, bottom=bottom, width=0.8, color=COLORS[label],
               label=copy.LABEL_TITLE[label], edgecolor="white", linewidth=0.5)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    peak = max(bottom, default=0)
    for d, total in zip(days, bottom, strict=True):
        if total:
            ax.annotate(str(total), (_x(d), total), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=9, color="#333333")
    ax.set_ylim(0, max(5, peak * 1.1))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(copy.CHART_Y_LEFT)
    ax.set_xlabel(copy.CHART_X)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    if not peak:
        ax.text(0.5, 0.5, copy.CHART_EMPTY, transform=ax.transAxes, ha="center",
                va="center", color="#666666", fontsize=14)

    handles, labels = ax.get_legend_handles_labels()
    medians = [report.first_response_by_day.get(d.isoformat()) for d in days]
    points = [(d, m) for d, m in zip(days, medians, strict=True) if m is not None]
    right = ax.twinx()
    longest = max((m for _, m in points), default=0.0)
    unit, scale = ("hours", 3600.0) if longest >= 3 * 3600 else ("minutes", 60.0)
    if points:
        right.set_ylabel(copy.CHART_Y_RIGHT.format(unit=unit))
        xs = [_x(d) for d, _ in points]
        ys = [m / scale for _, m in points]
        (line,) = right.plot(xs, ys, color=RESPONSE_COLOR, marker="o", linewidth=2,
                             label=copy.CHART_RESPONSE)
        right.set_ylim(0, max(ys) * 1.25 or 1)
        if len(points) <= 14:  # few enough points to label each with its value
            for x, (_, m) in zip(xs, points, strict=True):
                right.annotate(copy.duration(m), (x, m / scale), xytext=(6, 4),
                               textcoords="offset points", fontsize=9, color=RESPONSE_COLOR)
        handles.append(line)
        labels.append(copy.CHART_RESPONSE)
    else:
        right.set_ylim(0, 1)
        right.set_yticks([])
        (line,) = right.plot([], [], color=RESPONSE_COLOR, marker="o", linewidth=2)
        handles.append(line)
        labels.append(f"{copy.CHART_RESPONSE}: {copy.CHART_NO_RESPONSE}")

    # a window shorter than MIN_DAYS keeps a week's width, so two bars do not fill the chart
    pad = max(0.6, (MIN_DAYS - len(days)) / 2 + 0.6)
    ax.set_xlim(_x(days[0]) - pad, _x(days[-1]) + pad)
    step = max(1, round(len(days) / 14))  # at most ~14 date labels, whatever the window
    ax.set_xticks([_x(d) for d in days[::-1][::step][::-1]])
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%a\n%d %b" if len(days) <= 14
                                                      else "%d %b"))
    fig.legend(handles, labels, loc="outside lower center", ncols=len(handles), frameon=False,
               fontsize=10)
    brand = f" · {report.brand}" if report.brand else ""
    fig.suptitle(copy.CHART_TITLE.format(brand=brand), fontsize=15, fontweight="bold")
    ax.set_title(copy.CHART_SUBTITLE.format(
        start=report.start.strftime("%d %b %Y %H:%M"), end=report.end.strftime("%d %b %Y %H:%M"),
        total=report.mentions), fontsize=10, color="#555555")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
