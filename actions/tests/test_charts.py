from datetime import date, timedelta

import pytest

from actions.dashboard.charts import bar_chart, day_series, nice_step


@pytest.mark.parametrize(
    ("largest", "step"),
    [(0, 1), (3, 1), (4, 1), (7, 2), (10, 5), (40, 10), (41, 20), (950, 500)],
)
def test_gridlines_fall_on_round_numbers(largest, step):
    assert nice_step(largest) == step


def test_bars_are_as_long_as_their_share_of_the_largest():
    chart = bar_chart([("Cambodia", 40), ("France", 10), ("Chile", 0)], width=464)

    room = 464 - 200 - 64
    assert [bar.width for bar in chart.bars] == [room, room / 4, 0]
    assert [bar.y for bar in chart.bars] == [4, 28, 52]
    assert chart.height == 8 + 3 * 24


def test_a_tiny_value_still_shows_a_sliver():
    chart = bar_chart([("Cambodia", 100_000), ("Fiji", 1)])

    assert chart.bars[1].width == 1


def test_the_day_series_scales_columns_to_the_axis():
    first = date(2026, 3, 1)
    days = [(first + timedelta(days=n), n % 7) for n in range(90)]

    chart = day_series(days, width=720, height=240)

    assert [tick.value for tick in chart.y_ticks] == [0, 2, 4, 6]
    zero, top = chart.y_ticks[0].position, chart.y_ticks[-1].position
    assert zero == chart.bottom and top == chart.top
    sixes = [c for c in chart.columns if c.value == 6]
    assert all(c.y == chart.top and c.height == chart.bottom - chart.top for c in sixes)
    assert chart.columns[0].height == 0
    assert chart.columns[-1].x < chart.right
    assert [t.value for t in chart.x_ticks][:2] == [first, first + timedelta(15)]
    assert chart.x_ticks[-1].value == days[-1][0]


def test_an_empty_day_series_has_an_axis_from_zero_to_one():
    chart = day_series([(date(2026, 3, 1), 0)])

    assert [tick.value for tick in chart.y_ticks] == [0, 1]
