"""Chart geometry for server-rendered inline SVG: no script, no CDN, readable without CSS.

The template draws what these functions measure; every bar carries its value in a <title>
so that a screen reader and a mouse hover both give the number.
"""

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 720, 220
MARGIN_LEFT, MARGIN_BOTTOM, MARGIN_TOP = 40, 36, 12

# First response times, in hours: the two-hour promise and the 24-hour market average
# (DESIGN.md) are bin edges, so the chart shows at a glance how many were kept.
RESPONSE_BIN_EDGES = (0, 1, 2, 4, 8, 24, 48)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    series: str


@dataclass(frozen=True)
class Group:
    label: str
    label_x: float
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    maximum: int
    groups: list[Group]
    ticks: list[tuple[float, int]]  # (y, value)


def nice_maximum(value: int) -> int:
    """Round the top of the axis up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if value <= step * scale:
                return step * scale
        scale *= 10


def grouped_bars(labels: Sequence[str], series: dict[str, Sequence[int]]) -> Chart:
    """Return bars side by side per label, one per series (received, answered…)."""
    maximum = nice_maximum(max((max(values, default=0) for values in series.values()), default=0))
    plot_width = WIDTH - MARGIN_LEFT
    plot_height = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP
    baseline = HEIGHT - MARGIN_BOTTOM
    slot = plot_width / max(len(labels), 1)
    bar_width = max(slot * 0.8 / max(len(series), 1), 1)
    groups = []
    for index, label in enumerate(labels):
        left = MARGIN_LEFT + index * slot + slot * 0.1
        bars = []
        for number, (name, values) in enumerate(series.items()):
            height = plot_height * values[index] / maximum
            bars.append(
                Bar(
                    x=round(left + number * bar_width, 1),
                    y=round(baseline - height, 1),
                    width=round(bar_width, 1),
                    height=round(height, 1),
                    value=values[index],
                    series=name,
                )
            )
        groups.append(Group(label=label, label_x=round(left + slot * 0.4, 1), bars=bars))
    # Whole numbers only: 0, 1, 2 for a maximum of 2; 0, 5 … 20 for 20; 0, 10 … 50 for 50.
    step = nice_maximum(maximum // 5) if maximum >= 5 else 1
    ticks = [
        (round(baseline - plot_height * value / maximum, 1), value)
        for value in range(0, maximum + 1, step)
    ]
    return Chart(WIDTH, HEIGHT, baseline, maximum, groups, ticks)


def histogram_counts(
    hours: Sequence[float], edges: Sequence[float] = RESPONSE_BIN_EDGES
) -> list[int]:
    """Count the durations per bin [edge, next edge), the last bin open-ended."""
    counts = [0] * len(edges)
    for value in hours:
        index = len(edges) - 1
        while index > 0 and value < edges[index]:
            index -= 1
        counts[index] += 1
    return counts


def bin_labels(edges: Sequence[float] = RESPONSE_BIN_EDGES) -> list[str]:
    labels = [f"{low:g}–{high:g} h" for low, high in zip(edges, edges[1:], strict=False)]
    return [*labels, f"≥ {edges[-1]:g} h"]
