"""The geometry of the dashboard's charts, drawn as inline SVG by templates.

Charts are computed on the server and need no JavaScript and nothing from
another host; the templates (admin/actions/petition/_*_chart.html) draw them,
each with a table of the same numbers for screen readers.
"""

import math
from dataclasses import dataclass
from datetime import date

ROW_HEIGHT = 24
BAR_HEIGHT = 16


@dataclass(frozen=True)
class Bar:
    """One labelled horizontal bar."""

    label: str
    value: int
    y: float
    width: float

    @property
    def text_y(self) -> float:
        return self.y + BAR_HEIGHT - 4


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one row each: label on the left, value at the bar's end."""

    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int = BAR_HEIGHT

    @property
    def label_x(self) -> int:
        return self.label_width - 8


def bar_chart(
    rows: list[tuple[str, int]], *, width: int = 640, label_width: int = 200
) -> BarChart:
    """Bars for (label, value) rows, longest for the largest value."""
    room = width - label_width - 64  # the value is written after the bar
    largest = max((value for _, value in rows), default=0) or 1
    bars = [
        Bar(
            label=label,
            value=value,
            y=4 + index * ROW_HEIGHT,
            width=round(max(value / largest * room, 1 if value else 0), 1),
        )
        for index, (label, value) in enumerate(rows)
    ]
    return BarChart(
        bars=bars,
        width=width,
        height=8 + len(rows) * ROW_HEIGHT,
        label_width=label_width,
    )


@dataclass(frozen=True)
class Column:
    """One day's column."""

    day: date
    value: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Tick:
    """A labelled position on an axis."""

    position: float
    value: int | date


@dataclass(frozen=True)
class DaySeries:
    """A column per day over a value axis with gridlines, days labelled below."""

    columns: list[Column]
    column_width: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int
    height: int
    left: int
    top: int
    bottom: int
    right: int


LEFT, TOP, RIGHT, BOTTOM = 48, 12, 8, 28


def day_series(
    days: list[tuple[date, int]], *, width: int = 720, height: int = 240
) -> DaySeries:
    """Columns for consecutive (day, value) rows, on a y axis of round numbers."""
    plot_width, plot_height = width - LEFT - RIGHT, height - TOP - BOTTOM
    largest = max((value for _, value in days), default=0)
    step = nice_step(largest)
    top_value = max(step * math.ceil(largest / step), step)
    scale = plot_height / top_value
    slot = plot_width / max(len(days), 1)
    columns = [
        Column(
            day=day,
            value=value,
            x=round(LEFT + index * slot + slot * 0.15, 2),
            y=round(TOP + plot_height - value * scale, 2),
            height=round(value * scale, 2),
        )
        for index, (day, value) in enumerate(days)
    ]
    y_ticks = [
        Tick(position=round(TOP + plot_height - value * scale, 2), value=value)
        for value in range(0, top_value + 1, step)
    ]
    x_ticks = [
        Tick(position=round(LEFT + (index + 0.5) * slot, 2), value=days[index][0])
        for index in _labelled(len(days))
    ]
    return DaySeries(
        columns=columns,
        column_width=round(slot * 0.7, 2),
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        width=width,
        height=height,
        left=LEFT,
        top=TOP,
        bottom=TOP + plot_height,
        right=width - RIGHT,
    )


def nice_step(largest: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) for about ``ticks`` gridlines."""
    raw = max(largest / ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _labelled(count: int, every: int = 15) -> list[int]:
    """Which columns get a date under them: every ``every``-th and the last."""
    indexes = list(range(0, count, every))
    if count and (count - 1) - indexes[-1] > every // 2:
        indexes.append(count - 1)
    return indexes
