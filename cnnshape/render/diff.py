"""A Diff as a terminal table, Markdown, JSON or an HTML page that colours the changed rows.

The text forms list only the rows that differ unless ``every`` is asked for (a ResNet-18
against a ResNet-34 differs in 99 of 118 rows; equal networks print no rows at all); the
totals always come last with their deltas. Nothing here prints: each function returns text,
or rich renderables for the caller's console.
"""

from __future__ import annotations

import html
import json
from typing import Any

from cnnshape.core.fields import show_shape
from cnnshape.engine.diff import COMPARED, Diff, Pair, Total

HEADERS = ("Layer", "Change", "Output shape", "# Parameters", "MACs", "RF size")
MARKS = {"same": "", "changed": "changed", "renamed": "renamed", "added": "added",
         "removed": "removed"}


def _rf(row_rf: Any) -> str:
    if not row_rf:
        return ""
    rf = dict(row_rf)
    if rf.get("whole_input"):
        return "whole input"
    return "x".join(str(v) for v in rf["size"])


def _cell(pair: Pair, get: Any) -> str:
    """``a -> b`` where the sides differ, the one value where they agree or one side lacks."""
    left = get(pair.a) if pair.a is not None else None
    right = get(pair.b) if pair.b is not None else None
    if left is None:
        return str(right)
    if right is None or left == right:
        return str(left)
    return f"{left} -> {right}"


def _cells(pair: Pair) -> list[str]:
    name = pair.name if pair.status != "renamed" or pair.a is None else \
        f"{pair.a.name} -> {pair.name}"
    change = MARKS[pair.status]
    if pair.status in ("changed", "renamed") and pair.changes:
        change += " (" + ", ".join(c.replace("_", " ") for c in pair.changes) + ")"
    return [name, change,
            _cell(pair, lambda r: show_shape(r.output_shape)),
            _cell(pair, lambda r: f"{r.params:,}"),
            _cell(pair, lambda r: f"{r.macs:,}"),
            _cell(pair, lambda r: _rf(r.receptive_field))]


def _percent(total: Total) -> str:
    if total.percent is None:
        return "" if total.delta == 0 else "new"
    return f"{total.percent:+.2f}%"


def total_rows(diff: Diff) -> list[list[str]]:
    """[total, a, b, delta, percent] per total, exact integers."""
    return [[t.name.replace("_", " "), f"{t.a:,}", f"{t.b:,}", f"{t.delta:+,}", _percent(t)]
            for t in diff.totals]


def _shown(diff: Diff, every: bool) -> list[Pair]:
    return diff.pairs if every else diff.differences()


def title(diff: Diff) -> str:
    a = diff.a.name or "a"
    b = diff.b.name or "b"
    if diff.equal:
        return f"{a} and {b} are the same network (every row and total equal)"
    return f"{a} -> {b}: {len(diff.differences())} of {len(diff.pairs)} rows differ"


def rich_tables(diff: Diff, every: bool = False) -> list[Any]:
    """The title, the rows that differ (all rows with ``every``) and the totals."""
    from rich.table import Table
    from rich.text import Text

    out: list[Any] = [Text(title(diff))]
    pairs = _shown(diff, every)
    if pairs:
        rows = Table()
        for i, header in enumerate(HEADERS):
            rows.add_column(header, justify="left" if i < 2 else "right", overflow="fold")
        for pair in pairs:
            rows.add_row(*_cells(pair))
        out.append(rows)
    totals = Table()
    for i, header in enumerate(("Total", "a", "b", "Delta", "%")):
        totals.add_column(header, justify="left" if i == 0 else "right")
    for row in total_rows(diff):
        totals.add_row(*row)
    out.append(totals)
    return out


def to_markdown(diff: Diff, every: bool = False) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [f"**{title(diff)}**", ""]
    pairs = _shown(diff, every)
    if pairs:
        lines += [line(list(HEADERS)), "|" + "---|" * len(HEADERS)]
        lines += [line(_cells(p)) for p in pairs]
        lines.append("")
    lines += [line(["Total", "a", "b", "Delta", "%"]), "|---|---:|---:|---:|---:|"]
    lines += [line(row) for row in total_rows(diff)]
    return "\n".join(lines) + "\n"


def to_json(diff: Diff) -> str:
    return json.dumps(diff.to_dict(), indent=2) + "\n"


_STYLE = (
    "body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
    "td:first-child,td:nth-child(2),th{text-align:left}"
    "tr.changed,tr.renamed{background:#fff3c4}tr.added{background:#d9f5d9}"
    "tr.removed{background:#f9d6d5}"
)


def to_html(diff: Diff) -> str:
    """One self-contained page (no script, no link): every row, the changed ones coloured."""
    esc = html.escape

    def row(cells: list[str], cls: str = "") -> str:
        attr = f' class="{esc(cls)}"' if cls else ""
        return f"<tr{attr}>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>"

    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in HEADERS) + "</tr>"
    body = "".join(row(_cells(p), p.status if p.status != "same" else "") for p in diff.pairs)
    totals = "<tr>" + "".join(f"<th>{h}</th>" for h in ("Total", "a", "b", "Delta", "%")) + \
        "</tr>" + "".join(row(r) for r in total_rows(diff))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{esc(title(diff))}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{esc(title(diff))}</h1><table>{totals}</table><table>{head}{body}</table>"
            "</body></html>\n")


# ---------------------------------------------------------------- the registry's entries

def diff_table(diff: Diff, *, every: bool = False, **_: object) -> str:
    """`diff --format table`: the rich tables as the terminal shows them (plain when piped)."""
    from cnnshape.render.text import terminal_console

    console = terminal_console()
    with console.capture() as captured:
        for renderable in rich_tables(diff, every):
            console.print(renderable, markup=False, highlight=False)
    text: str = captured.get()
    return text


def diff_markdown(diff: Diff, *, every: bool = False, **_: object) -> str:
    return to_markdown(diff, every)


def diff_json(diff: Diff, **_: object) -> str:
    """Every row, whatever ``every`` says: a program reading it filters by status."""
    return to_json(diff)


def diff_html(diff: Diff, **_: object) -> str:
    return to_html(diff)


__all__ = ["COMPARED", "HEADERS", "diff_html", "diff_json", "diff_markdown", "diff_table",
           "rich_tables", "to_html", "to_json", "to_markdown", "total_rows"]
