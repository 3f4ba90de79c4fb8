"""Every output format and picture style, by name: what it renders, the function that turns
that into text, the file extensions it writes and the line that describes it in ``--help``.

The command line takes its ``--format`` and ``--style`` choices, their help and its ``-o``
extension handling from here, so a new format is a function in one renderer module plus one
line below. Importing this module loads no renderer (``cnnshape --help`` stays fast): each
entry names its function as ``module:function`` and imports it when it first renders.

Renderers of one subject take the same keyword arguments, so the caller need not know which
format it holds (each ignores those that do not apply to it):

- ``report`` (engine.analysis.Report): ``depth``, ``view`` (render.text.View: columns, units,
  layout, folded or expanded), ``rf``, ``chart``
- ``comparison`` (engine.dense_compare.DenseReport): ``kernel`` (set for the one-layer example)
- ``verification`` (engine.reference.Verification): none
- ``sweep`` (engine.sweep.SweepReport): ``batch``, ``dtype``
- ``picture`` (a loaded spec.loader.Network; draw's styles): ``depth``, ``scale``, ``max_layers``
- ``chart`` (a spec source): ``metric``, ``log``
- ``page`` (a spec source): ``batch``, ``dtype``, ``expand``
- ``diff`` (engine.diff.Diff): ``every`` (list equal rows too)

Each returns text; the rich tables come back as the text rich would have printed (with
colour when ``sys.stdout`` is a terminal), so nothing in the library prints.
"""


import importlib
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

Subject = Literal["report", "comparison", "verification", "sweep", "picture", "chart", "page",
                  "diff"]


class Renderer(NamedTuple):
    """One registered format or style (a NamedTuple: no dataclasses import at start-up)."""

    renders: Subject
    name: str
    target: str
    """``module:function`` that renders the subject to text."""
    extensions: tuple[str, ...]
    """What ``-o`` writes, without the dot: the renderer's own first, then conversions."""
    description: str
    """One line for ``--help``."""
    complete: bool = False
    """Shows everything the analysis computes (receptive fields too), whatever the options."""

    def load(self) -> Callable[..., str]:
        """The rendering function (imported now, not when the registry loads)."""
        module, _, function = self.target.partition(":")
        found: Callable[..., str] = getattr(importlib.import_module(module), function)
        return found

    def render(self, subject: Any, **options: Any) -> str:
        """The subject as this format's text (see the module docstring for the options)."""
        return self.load()(subject, **options)


_TEXT = "cnnshape.render.text"
_REPORT = "cnnshape.render.report"
_DIFF = "cnnshape.render.diff"

RENDERERS: tuple[Renderer, ...] = (
    Renderer("report", "table", f"{_TEXT}:report_table", ("txt",),
             "the course-style table on the terminal"),
    Renderer("report", "json", f"{_TEXT}:report_json", ("json",),
             "every number, receptive fields included", complete=True),
    Renderer("report", "csv", f"{_TEXT}:report_csv", ("csv",), "one row per layer"),
    Renderer("report", "markdown", f"{_TEXT}:report_markdown", ("md",),
             "the table as Markdown"),
    Renderer("comparison", "table", f"{_TEXT}:comparison_table", ("txt",),
             "the comparison as a table (one layer: the argument in words)"),
    Renderer("comparison", "json", f"{_TEXT}:as_json", ("json",), "every number"),
    Renderer("verification", "table", f"{_TEXT}:verification_table", ("txt",),
             "each layer's shape, both ways"),
    Renderer("verification", "json", f"{_TEXT}:as_json", ("json",), "every check and the timing"),
    Renderer("sweep", "table", f"{_TEXT}:sweep_table", ("txt",),
             "a table on the terminal, an invalid combination with its error"),
    Renderer("sweep", "csv", f"{_TEXT}:sweep_csv", ("csv",),
             "one row per combination, values then results"),
    Renderer("sweep", "json", f"{_TEXT}:as_json", ("json",), "every combination"),
    Renderer("picture", "auto", f"{_REPORT}:draw_auto", ("svg", "png"),
             "volume for short chains, graph style otherwise"),
    Renderer("picture", "volume", f"{_REPORT}:draw_volume", ("svg", "png"),
             "activations as 3-D boxes, the course's style"),
    Renderer("picture", "graph", f"{_REPORT}:draw_graph", ("svg", "png"),
             "a top-to-bottom block diagram for deep or branching networks"),
    Renderer("chart", "chart", "cnnshape.render.charts:chart_svg", ("svg", "png"),
             "bars of each layer's activation size and parameters"),
    Renderer("page", "report", f"{_REPORT}:report_html", ("html",),
             "one self-contained HTML page about the network"),
    Renderer("diff", "table", f"{_DIFF}:diff_table", ("txt",),
             "the rows that differ and the totals with deltas, on the terminal"),
    Renderer("diff", "json", f"{_DIFF}:diff_json", ("json",),
             "every row pair with its status, and the totals", complete=True),
    Renderer("diff", "markdown", f"{_DIFF}:diff_markdown", ("md",),
             "the terminal's tables as Markdown"),
    Renderer("diff", "html", f"{_DIFF}:diff_html", ("html",),
             "one page with every row, the changed ones coloured"),
)
"""In the order ``--help`` lists them; the first of a subject is not necessarily its default."""


def names(renders: Subject) -> list[str]:
    """The names registered for a subject, in registration order (the click choices)."""
    return [r.name for r in RENDERERS if r.renders == renders]


def get(renders: Subject, name: str) -> Renderer:
    """The entry; KeyError (naming the choices) for a name not registered for the subject."""
    for r in RENDERERS:
        if r.renders == renders and r.name == name:
            return r
    raise KeyError(f"no {renders} format {name!r}; registered: {', '.join(names(renders))}")


def only(renders: Subject) -> Renderer:
    """The one entry of a subject that has a single style (chart, page)."""
    (entry,) = (r for r in RENDERERS if r.renders == renders)
    return entry


def describe(renders: Subject) -> str:
    """``name: description; ...`` for the option's help."""
    return "; ".join(f"{r.name}: {r.description}" for r in RENDERERS if r.renders == renders)


def extension(path: str) -> str:
    """``out/Net.PNG`` -> ``png``; ``""`` when the file name has no extension."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rpartition(".")[2].lower() if "." in name else ""


def files_text(extensions: tuple[str, ...]) -> str:
    """``("svg", "png")`` -> ``an .svg or .png file`` for the help of ``-o``."""
    return "an " + " or ".join(f".{e}" for e in extensions) + " file"
