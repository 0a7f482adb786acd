"""The chronology figure of chapter 3, from ``data/reference/chronology.csv``.

Each row is an event (``date``) or a period (``date`` to ``end_date``) of one
entity: projects funded by the COCOF, by the COCOM, or both (``commun``). The
entities, their French labels, order and colours are in
``data/reference/chronology_entities.csv`` (COCOF and COCOM in two Okabe-Ito
colours, common events in black), so the figure and its legend stay in step
with the reference data.

The timeline runs top to bottom. Events sit on one of three lanes at their
date; their labels are stacked at regular intervals in a column on the right and
joined to their event by a thin line, so that labels never overlap however close
the dates are. A month given without a day (``2021-05``) is placed at mid-month;
a period given in months ends at the end of its last month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import pandas as pd

from analysis import reference
from analysis.config import REFERENCE_DIR
from analysis.publish.fmt import MONTHS_FR, fmt_month

FIGURE_NAME = "chronologie"
#: Abbreviated months on the time axis (the year is shown for January).
QUARTER_MONTHS = {4: "avr.", 7: "juil.", 10: "oct."}
CAPTION = ("Chronologie des projets PRR : étapes propres aux projets financés par la COCOF, à ceux financés par "
           "la COCOM, et événements communs. Source : rapport PRR 2022 (LBSM).")


def parse_date(text: str, end: bool = False) -> dt.date:
    """``YYYY-MM-DD`` as is; ``YYYY-MM`` at mid-month, or at the month's last day when ``end``."""
    text = str(text).strip()
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    year, month = (int(x) for x in text.split("-"))
    day = calendar.monthrange(year, month)[1] if end else 15
    return dt.date(year, month, day)


def date_fr(text: str) -> str:
    """``2022-02-24 -> '24 février 2022'``, ``2021-05 -> 'mai 2021'``."""
    text = str(text).strip()
    if len(text) == 10:
        d = dt.date.fromisoformat(text)
        day = "1er" if d.day == 1 else str(d.day)
        return f"{day} {MONTHS_FR[d.month - 1]} {d.year}"
    return fmt_month(text)


def load_chronology(ref_dir: Path = REFERENCE_DIR) -> pd.DataFrame:
    """Events sorted by date then entity order, with parsed ``start``/``end`` dates and a French date label."""
    df = reference.table("chronology", ref_dir)
    entities = reference.table("chronology_entities", ref_dir).set_index("code")
    unknown = sorted(set(df["entity"]) - set(entities.index))
    if unknown:
        raise ValueError(f"chronology.csv: unknown entity {unknown} (see chronology_entities.csv)")
    df["start"] = df["date"].map(parse_date)
    df["end"] = [parse_date(e, end=True) if e else None for e in df["end_date"]]
    df["order"] = df["entity"].map(entities["order"].astype(int))
    df["when_fr"] = [date_fr(d) + (f" – {date_fr(e)}" if e else "") for d, e in zip(df["date"], df["end_date"],
                                                                                   strict=True)]
    return df.sort_values(["start", "order", "label_fr"], kind="stable").reset_index(drop=True)


def alt_text(df: pd.DataFrame, ref_dir: Path = REFERENCE_DIR) -> str:
    """Alt text: span, counts per entity, then every event in date order."""
    entities = reference.table("chronology_entities", ref_dir).sort_values("order")
    counts = df["entity"].value_counts()
    parts = [f"{label[0].lower() + label[1:]} : {counts.get(code, 0)}"
             for code, label in zip(entities["code"], entities["label_fr"], strict=True)]
    first, last = df["date"].iloc[0], (df["end_date"].where(df["end_date"] != "", df["date"])).max()
    events = " ; ".join(f"{w} : {lab}" for w, lab in zip(df["when_fr"], df["label_fr"], strict=True))
    return (f"Frise chronologique de {len(df)} événements, de {date_fr(first[:7])} à {date_fr(last[:7])} "
            f"({' ; '.join(parts)}). Dans l'ordre : {events}.")


def span_offsets(df: pd.DataFrame, step: float = 0.075) -> dict[int, float]:
    """Horizontal offset of each event within its lane, so that overlapping periods sit side by side.

    Periods of one entity are given the first sub-lane free at their start
    (greedy interval colouring), to the right of the lane; single-date events
    stay on the lane itself.
    """
    offsets: dict[int, float] = {}
    for _, group in df.groupby("entity", sort=False):
        lanes_end: list = []
        for idx, row in group.iterrows():
            if row["end"] is None:
                offsets[idx] = 0.0
                continue
            k = next((i for i, end in enumerate(lanes_end) if end < row["start"]), len(lanes_end))
            if k == len(lanes_end):
                lanes_end.append(row["end"])
            else:
                lanes_end[k] = row["end"]
            offsets[idx] = step * (k + 1)
    return offsets


def plot_chronology(df: pd.DataFrame, ref_dir: Path = REFERENCE_DIR):
    """Draw the vertical timeline; returns the matplotlib figure."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from analysis.publish.figures import set_theme

    set_theme()
    entities = reference.table("chronology_entities", ref_dir)
    entities["order"] = entities["order"].astype(int)
    entities = entities.sort_values("order").set_index("code")
    lane_x = {code: 0.36 * k for k, code in enumerate(entities.index)}
    colour = entities["colour"].to_dict()

    n = len(df)
    height = max(5.5, 0.245 * n + 1.3)
    fig, ax = plt.subplots(figsize=(7.5, height))
    start = mdates.date2num(dt.date(df["start"].min().year, df["start"].min().month, 1))
    last = max([d for d in df["end"] if d is not None] + list(df["start"]))
    stop = mdates.date2num(dt.date(last.year + (last.month == 12), last.month % 12 + 1, 1))
    label_x = 0.36 * len(entities) + 0.3
    offsets = span_offsets(df)
    ys = [start + (stop - start) * (k + 0.5) / n for k in range(n)]

    for code, x in lane_x.items():
        ax.plot([x, x], [start, stop], color=colour[code], lw=0.6, alpha=0.35, zorder=1)
    for row, y_label in zip(df.itertuples(), ys, strict=True):
        x, c = lane_x[row.entity] + offsets[row.Index], colour[row.entity]
        y0 = mdates.date2num(row.start)
        if row.end is not None:
            ax.plot([x, x], [y0, mdates.date2num(row.end)], color=c, lw=3, solid_capstyle="butt", zorder=3)
        ax.plot([x], [y0], marker="o", ms=5.5, color=c, mec="white", mew=0.8, zorder=4)
        ax.plot([x + 0.05, label_x - 0.08], [y0, y_label], color="#9aa3ad", lw=0.5, zorder=2)
        ax.text(label_x, y_label, f"{row.when_fr} — {row.label_fr}", va="center", ha="left", fontsize=8.5,
                color="black")

    months = pd.date_range(dt.date.fromordinal(int(start) + dt.date(1970, 1, 1).toordinal()),
                           periods=int((stop - start) / 28) + 2, freq="MS")
    for m in months:
        y = mdates.date2num(m.date())
        if y > stop:
            break
        major = m.month == 1
        ax.plot([-0.22, -0.12 if major else -0.16], [y, y], color="#444", lw=0.8 if major else 0.5)
        if m.month in (1, 4, 7, 10):
            text = str(m.year) if major else QUARTER_MONTHS[m.month]
            ax.text(-0.27, y, text, ha="right", va="center", fontsize=8.5 if major else 7.5,
                    fontweight="bold" if major else "normal", color="#333")
    ax.plot([-0.19, -0.19], [start, stop], color="#444", lw=0.8)

    ax.set_ylim(stop, start)
    ax.set_xlim(-0.75, 6.2)
    ax.axis("off")
    handles = [Line2D([0], [0], marker="o", color=colour[c], lw=0, ms=6, label=entities.loc[c, "label_fr"])
               for c in entities.index]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(handles), frameon=False,
              fontsize=9, handletextpad=0.3, columnspacing=1.2, borderaxespad=0.2)
    fig.subplots_adjust(left=0.02, right=0.98, top=1 - 0.45 / height, bottom=0.01)
    return fig


def make_chronology_figure(figures_dir: Path, ref_dir: Path = REFERENCE_DIR) -> dict[str, str]:
    """Write ``chronologie.{svg,pdf,json}`` into ``figures_dir``; returns the sidecar (alt, caption)."""
    from analysis.publish.figures import save_figure

    df = load_chronology(ref_dir)
    fig = plot_chronology(df, ref_dir)
    return save_figure(fig, FIGURE_NAME, figures_dir, alt_text(df, ref_dir), CAPTION)
