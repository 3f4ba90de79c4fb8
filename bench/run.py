"""cnnshape benchmarks, measured side by side in one run, printed as a Markdown report.

    python bench/run.py                      # everything (a few minutes on 2 cores)
    python bench/run.py --quick              # fewer repetitions (about a minute)
    python bench/run.py --only startup,scaling
    python bench/run.py --json results.json  # also write the raw numbers
    python bench/run.py --only torchinfo --torch-python /tmp/tv/bin/python

Sections (``--only`` names):

startup    CLI start against the floor of its stack: each cnnshape command next to a bare
           ``python -c "import ..."`` of the libraries it cannot avoid, same interpreter,
           interleaved runs, first run of each discarded, medians and their ratio.
torchinfo  torchinfo.summary(ResNet-50) in a fresh process (imports included) against
           ``cnnshape table specs/resnet50.json``: wall time and the child's peak RSS.
           The torchinfo side is bench/torch_resnet50.py run by ``--torch-python PATH``
           (default: this interpreter). It needs torch and torchinfo there (skipped without)
           and builds ResNet-50 in one of two ways, which the report states with the versions:
           - torchvision importable: ``torchvision.models.resnet50(weights=None)``, the model
             torchinfo users summarise. torchvision cannot be installed next to torch 2.13.0,
             so give it its own interpreter (a ~5.5 GB CUDA build that runs on the CPU; on
             these machines pip takes it from local disk):
                 python3 -m venv /tmp/tv
                 /tmp/tv/bin/pip install torch==2.14.1 torchvision==0.29.1 torchinfo
                 python bench/run.py --only torchinfo --torch-python /tmp/tv/bin/python
           - otherwise: a plain torch.nn rebuild of the same architecture (same 25,557,032
             parameters), e.g. with ``pip install torch==2.13.0 torchinfo`` in this interpreter.
           The parameter count is asserted either way; peak RSS is the child's own, whatever
           interpreter it runs (the launcher bench/_spawn.py stays this interpreter).
scaling    cnnshape.analyze() (load and validation included) on 1k/10k/100k-layer
           sequential nets and a 2,000-block residual net, in this process.
reference  The pure-Python reference pass: MACs/s (or elements/s for layers without MACs).
pictures   The pictures of the largest zoo spec (ResNet-152): chart, volume and graph
           drawings and the HTML report, each against its target (these were timing asserts
           in the tests, which a loaded 2-core machine made flaky).

The report goes to stdout, progress to stderr, so ``python bench/run.py > bench.md`` keeps
only the report. The exit code is 0 unless ``--strict`` is given and a target failed.
Other processes on the machine make the numbers noisy: the report prints the load average.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(REPO))  # measure this working tree, whatever else is installed

import _subproc  # noqa: E402
import _synth  # noqa: E402

SECTIONS = ("startup", "torchinfo", "scaling", "reference", "pictures")
RESNET50 = "specs/resnet50.json"
RESNET50_PARAMS = 25_557_032
EXIT_MISSING = 3
"""bench/torch_resnet50.py's exit code when torch or torchinfo cannot be imported."""


# --------------------------------------------------------------------------------------------
# Settings, results and formatting
# --------------------------------------------------------------------------------------------

@dataclass
class Settings:
    quick: bool
    only: tuple[str, ...]
    startup_runs: int
    torch_runs: int
    timeout: float
    torch_timeout: float
    torch_python: str
    """The interpreter that runs bench/torch_resnet50.py (sys.executable by default)."""

    def repeats(self, full: int, quick: int) -> int:
        return quick if self.quick else full


@dataclass
class Check:
    """One target: what was measured, what it had to be, and whether it was."""

    section: str
    name: str
    measured: str
    target: str
    passed: bool | None
    """None: could not be measured (the report says why)."""
    note: str = ""


@dataclass
class Results:
    checks: list[Check] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)

    def check(self, section: str, name: str, measured: str, target: str,
              passed: bool | None, note: str = "") -> str:
        self.checks.append(Check(section, name, measured, target, passed, note))
        return verdict(passed)


def verdict(passed: bool | None) -> str:
    return {True: "PASS", False: "**FAIL**", None: "n/a"}[passed]


def out(line: str = "") -> None:
    """One line of the report (stdout)."""
    print(line, flush=True)


def progress(message: str) -> None:
    """Progress for the person waiting (stderr), never part of the report."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "") -> None:
    """A Markdown table; ``align`` has one letter per column, l or r (default l)."""
    align = align.ljust(len(headers), "l")
    out("| " + " | ".join(headers) + " |")
    out("|" + "|".join("---:" if a == "r" else "---" for a in align) + "|")
    for row in rows:
        out("| " + " | ".join(str(cell) for cell in row) + " |")
    out()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    if seconds < 0.1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.3f} s" if seconds < 10 else f"{seconds:.1f} s"


def mib(kib: float | None) -> str:
    return "n/a" if kib is None else f"{kib / 1024:.1f} MiB"


def rate(per_second: float, unit: str) -> str:
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_second >= scale:
            return f"{per_second / scale:.2f} {prefix} {unit}/s"
    return f"{per_second:.1f} {unit}/s"


def show(argv: Sequence[str]) -> str:
    """A command as the report prints it: ``python`` for sys.executable, scripts by name."""
    return shlex.join(["python" if argv[0] == sys.executable else Path(argv[0]).name, *argv[1:]])


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def rotations(items: Sequence[Any], rounds: int) -> list[list[Any]]:
    """Interleaving: round i runs every item, starting at item i (mod n)."""
    n = len(items)
    return [[items[(i + j) % n] for j in range(n)] for i in range(rounds)]


# --------------------------------------------------------------------------------------------
# The machine
# --------------------------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "processor\t: arm")):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def memory_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return "unknown"


def version_of(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def git_revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                              capture_output=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "cnnshape", "pyproject.toml"],
                               cwd=REPO, text=True, capture_output=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    return f"{head}" + (" + uncommitted changes in cnnshape/" if dirty else "")


def cnnshape_command() -> tuple[list[str], str]:
    """The console script next to sys.executable when it runs this interpreter on this tree;
    otherwise ``sys.executable -m cnnshape`` (with the repository as working directory)."""
    fallback = [sys.executable, "-m", "cnnshape"]
    bindir = Path(sys.executable).parent
    script = bindir / ("cnnshape.exe" if os.name == "nt" else "cnnshape")
    if not script.is_file():
        return fallback, f"`{sys.executable} -m cnnshape` (no console script in {bindir})"
    if os.name != "nt":
        try:
            first = script.read_bytes().split(b"\n", 1)[0].decode(errors="replace")
        except OSError as error:
            return fallback, f"`{sys.executable} -m cnnshape` (cannot read {script}: {error})"
        interpreter = first[2:].strip().split(" ")[0] if first.startswith("#!") else ""
        if os.path.realpath(interpreter) != os.path.realpath(sys.executable):
            return fallback, (f"`{sys.executable} -m cnnshape` ({script} starts "
                              f"`{interpreter or '?'}`, not this interpreter)")
    probe = _subproc.run([sys.executable, "-c", "import cnnshape; print(cnnshape.__file__)"],
                         cwd=tempfile.gettempdir(), timeout=60)
    installed = Path(probe.stdout.strip() or ".").resolve()
    if not probe.ok or REPO not in installed.parents:
        return fallback, (f"`{sys.executable} -m cnnshape` (the installed cnnshape is "
                          f"{probe.stdout.strip() or 'missing'}, not this tree)")
    return [str(script)], f"console script `{script}` (runs this interpreter on this tree)"


def interpreter_note(python: str) -> str:
    """``python``'s path, Python version and torch / torchvision / torchinfo versions (from
    package metadata, without importing them)."""
    code = ("import importlib.metadata as m, platform\n"
            "def v(d):\n"
            "    try:\n        return m.version(d)\n"
            "    except m.PackageNotFoundError:\n        return 'not installed'\n"
            "print(f'Python {platform.python_version()}; ' + ', '.join(f'{d} {v(d)}' "
            "for d in ('torch', 'torchvision', 'torchinfo')))")
    path = f"`{python}`" + (" (this interpreter)" if python == sys.executable else "")
    try:
        probe = subprocess.run([python, "-c", code], cwd=tempfile.gettempdir(), text=True,
                               capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as error:
        return f"{path}: cannot run it ({error})"
    if probe.returncode != 0:
        tail = (probe.stderr.strip().splitlines() or ["no stderr"])[-1]
        return f"{path}: exit code {probe.returncode} ({tail[:200]})"
    return f"{path}: {probe.stdout.strip()}"


def cnnshape_origin() -> str:
    try:
        import cnnshape
    except Exception as error:  # a broken working tree still gets a report
        return f"not importable ({type(error).__name__}: {error}), git {git_revision()}"
    return (f"{cnnshape.__version__} from `{Path(cnnshape.__file__).parent}`, "
            f"git {git_revision()}")


def header(settings: Settings, command_note: str, rss_floor: int | None) -> None:
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    packages = []
    for dist in ("click", "pydantic", "pydantic-core", "rich", "PyYAML", "torch", "torchinfo"):
        packages.append(f"{dist} {version_of(dist) or 'not installed'}")
    options = (f"{'--quick, ' if settings.quick else ''}sections: {', '.join(settings.only)}; "
               f"startup runs {settings.startup_runs}, torchinfo runs {settings.torch_runs}")
    out("# cnnshape benchmark")
    out()
    table(["", ""], [
        ["date", _dt.datetime.now().astimezone().isoformat(timespec="seconds")],
        ["CPU", cpu_model()],
        ["cores", f"{cores} ({usable} usable by this process)"],
        ["load average (1/5/15 min) at start", load],
        ["memory", memory_total()],
        ["OS", platform.platform()],
        ["Python", f"{platform.python_version()} ({platform.python_implementation()}), "
                   f"`{sys.executable}`"],
        ["packages (this interpreter)", ", ".join(packages)],
        *([["torchinfo side run by (`--torch-python`)", interpreter_note(settings.torch_python)]]
          if "torchinfo" in settings.only else []),
        ["cnnshape", cnnshape_origin()],
        ["cnnshape command", command_note],
        ["subprocess timing", "wall time from fork to reaping, inside the launcher "
                              "bench/_spawn.py (`python -I -S`); peak RSS resolution: the "
                              f"launcher's own {mib(rss_floor)}" if rss_floor else "n/a"],
        ["options", options],
    ])


# --------------------------------------------------------------------------------------------
# 1. CLI start against the floor of the stack
# --------------------------------------------------------------------------------------------

def _json_params(stdout: str) -> str | None:
    try:
        params = json.loads(stdout)["totals"]["params"]
    except (ValueError, KeyError, TypeError) as error:
        return f"stdout is not the JSON report ({error})"
    return None if params == RESNET50_PARAMS else f"JSON report says {params:,} params"


def _table_params(stdout: str) -> str | None:
    return None if f"{RESNET50_PARAMS:,}" in stdout else f"table lacks {RESNET50_PARAMS:,}"


def _version(stdout: str) -> str | None:
    return None if "cnnshape" in stdout and "version" in stdout else \
        f"unexpected output {stdout.strip()[:80]!r}"


def bench_startup(settings: Settings, results: Results, cnnshape: list[str]) -> None:
    py = sys.executable
    pairs: list[tuple[str, list[str], Callable[[str], str | None], str, list[str], float]] = [
        ("table --format json", [*cnnshape, "table", RESNET50, "--format", "json"], _json_params,
         "import click, pydantic", [py, "-c", "import click, pydantic"], 1.5),
        ("table (rich, stdout a pipe)", [*cnnshape, "table", RESNET50], _table_params,
         "import click, pydantic, rich.console, rich.table",
         [py, "-c", "import click, pydantic, rich.console, rich.table"], 1.5),
        ("--version", [*cnnshape, "--version"], _version,
         "import click", [py, "-c", "import click"], 1.2),
    ]
    bare = [py, "-c", "pass"]
    commands: list[list[str]] = [bare]
    for _, cmd, _, _, floor, _ in pairs:
        commands += [cmd, floor]
    label = {tuple(c): show(c) for c in commands}

    out("## 1. CLI start against the floor of the stack")
    out()
    out(f"Each command: median of {settings.startup_runs} runs, all {len(commands)} commands "
        "interleaved (round i starts at command i), after one discarded warm-up run each; "
        f"fresh processes, working directory `{REPO}`, stdout and stderr to pipes. "
        "The floor imports only the libraries the command cannot avoid, in the same interpreter.")
    out()

    progress(f"startup: warm-up, then {settings.startup_runs} rounds of {len(commands)} commands")
    problems: dict[tuple[str, ...], str] = {}
    for cmd in commands:
        res = _subproc.run(cmd, cwd=str(REPO), timeout=settings.timeout)
        if not res.ok:
            problems[tuple(cmd)] = res.problem()
    for _, cmd, validate, _, _, _ in pairs:
        if tuple(cmd) not in problems:
            res = _subproc.run(cmd, cwd=str(REPO), timeout=settings.timeout)
            bad = validate(res.stdout) if res.ok else res.problem()
            if bad:
                problems[tuple(cmd)] = bad

    times: dict[tuple[str, ...], list[float]] = {tuple(c): [] for c in commands}
    rss: dict[tuple[str, ...], list[int]] = {tuple(c): [] for c in commands}
    for round_ in rotations(commands, settings.startup_runs):
        for cmd in round_:
            if tuple(cmd) in problems:
                continue
            res = _subproc.run(cmd, cwd=str(REPO), timeout=settings.timeout)
            if not res.ok:
                problems[tuple(cmd)] = res.problem()
                continue
            times[tuple(cmd)].append(res.seconds)
            if res.max_rss_kib is not None:
                rss[tuple(cmd)].append(res.max_rss_kib)

    def med(cmd: list[str]) -> float | None:
        values = times[tuple(cmd)]
        return median(values) if values and tuple(cmd) not in problems else None

    rows = []
    for name, cmd, _, floor_name, floor, target in pairs:
        m, f = med(cmd), med(floor)
        if m is None or f is None:
            why = problems.get(tuple(cmd)) or problems.get(tuple(floor)) or "no runs"
            rows.append([f"`cnnshape {name}`", "n/a", f"`{floor_name}`", "n/a", "n/a",
                         f"<= {target}", results.check("startup", f"cnnshape {name}", "n/a",
                                                      f"<= {target}x floor", None, why)])
            continue
        ratio = m / f
        rows.append([f"`cnnshape {name}`", ms(m), f"`{floor_name}`", ms(f), f"{ratio:.2f}x",
                     f"<= {target}x",
                     results.check("startup", f"cnnshape {name} vs its floor", f"{ratio:.2f}x",
                                   f"<= {target}x", ratio <= target)])
    table(["cnnshape", "median", "floor", "median", "ratio", "target", "result"], rows,
          "lrlrrrl")

    detail = []
    for cmd in commands:
        values = times[tuple(cmd)]
        if tuple(cmd) in problems or not values:
            detail.append([f"`{label[tuple(cmd)]}`", "", "", "", "",
                           f"failed: {problems.get(tuple(cmd), 'no runs')}"])
            continue
        peak = rss[tuple(cmd)]
        detail.append([f"`{label[tuple(cmd)]}`", ms(min(values)), ms(median(values)),
                       ms(max(values)), mib(median(peak)) if peak else "n/a", str(len(values))])
    out("All commands (`python` is `sys.executable`; peak RSS is each command's own ru_maxrss, "
        "from os.wait4 in the small launcher bench/_spawn.py):")
    out()
    table(["command", "min", "median", "max", "peak RSS", "runs"], detail, "lrrrrr")
    results.raw["startup"] = {
        label[tuple(c)]: {"seconds": times[tuple(c)], "max_rss_kib": rss[tuple(c)],
                          "problem": problems.get(tuple(c))}
        for c in commands}


# --------------------------------------------------------------------------------------------
# 2. Against torchinfo
# --------------------------------------------------------------------------------------------

def bench_torchinfo(settings: Settings, results: Results, cnnshape: list[str]) -> None:
    out("## 2. Against torchinfo (ResNet-50, 1x3x224x224)")
    out()
    def skip(message: str) -> None:
        out(f"SKIPPED: {message}")
        out()
        progress(f"torchinfo: skipped: {message}")
        results.check("torchinfo", "against torchinfo", "skipped",
                      ">= 25x faster, >= 10x leaner", None, message)

    python = settings.torch_python
    install = ("install them with `pip install torch==2.13.0 torchinfo`, or pass "
               "`--torch-python` an interpreter that has them (see the top of bench/run.py)")
    if python == sys.executable:
        missing = [name for name in ("torch", "torchinfo")
                   if importlib.util.find_spec(name) is None]
        if missing:
            skip(f"{' and '.join(missing)} not installed for `{python}`; {install}.")
            return
    script = str(BENCH / "torch_resnet50.py")
    progress(f"torchinfo: checking bench/torch_resnet50.py's parameter count with {python}")
    probe = _subproc.run([python, script, "--check"], cwd=str(REPO),
                         timeout=settings.torch_timeout)
    if probe.returncode == EXIT_MISSING:
        skip(f"{probe.stderr.strip().splitlines()[-1]} (`{python}`); {install}.")
        return
    try:
        info = json.loads(probe.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        info = {}
    if not probe.ok or info.get("params") != RESNET50_PARAMS:
        message = (f"bench/torch_resnet50.py ({info.get('model', 'model unknown')}, `{python}`) "
                   f"does not build torchvision's ResNet-50: "
                   f"{info.get('params', probe.problem())} parameters, expected "
                   f"{RESNET50_PARAMS:,}")
        out(f"FAILED: {message}")
        out()
        results.check("torchinfo", "ResNet-50 for torchinfo", "n/a",
                      f"{RESNET50_PARAMS:,} params", False, message)
        return
    used = info.get("model", "?")
    if info.get("torchvision"):
        built = f"builds `torchvision.models.resnet50(weights=None)` ({used})"
    else:
        why = (f"torchvision is installed but not importable there: {info['torchvision_error']}"
               if info.get("torchvision_error") else "torchvision is not installed there")
        built = f"rebuilds torchvision's ResNet-50 in plain torch.nn ({why})"
    versions = f"torch {info.get('torch')}"
    out(f"bench/torch_resnet50.py {built}: {info['params']:,} parameters (asserted before "
        f"timing); run by `{python}` (Python {info.get('python')}), {versions}, torchinfo "
        f"{info.get('torchinfo')}, {info.get('threads')} intra-op threads.")
    out()

    torch_cmd = [python, script, "--summary"]
    torch_label = show(torch_cmd) if python == sys.executable else shlex.join(torch_cmd)
    cnn_cmd = [*cnnshape, "table", RESNET50]
    sides = {"torchinfo": torch_cmd, "cnnshape": cnn_cmd}
    progress(f"torchinfo: warm-up, then {settings.torch_runs} interleaved rounds")
    samples: dict[str, list[_subproc.Result]] = {"torchinfo": [], "cnnshape": []}
    problems: dict[str, str] = {}
    for name, cmd in sides.items():  # warm-up: page cache, bytecode caches
        res = _subproc.run(cmd, cwd=str(REPO), timeout=settings.torch_timeout)
        if not res.ok:
            problems[name] = res.problem()
    for round_ in rotations(list(sides), settings.torch_runs):
        for name in round_:
            if name in problems:
                continue
            res = _subproc.run(sides[name], cwd=str(REPO), timeout=settings.torch_timeout)
            if not res.ok:
                problems[name] = res.problem()
            elif name == "torchinfo" and f"Total params: {RESNET50_PARAMS:,}" not in res.stdout:
                problems[name] = "torchinfo's summary does not say 25,557,032 params"
            elif name == "cnnshape" and _table_params(res.stdout):
                problems[name] = _table_params(res.stdout) or ""
            else:
                samples[name].append(res)
    if problems:
        message = "; ".join(f"{k}: {v}" for k, v in problems.items())
        out(f"FAILED to measure: {message}")
        out()
        results.check("torchinfo", "against torchinfo", "n/a", ">= 25x faster, >= 10x leaner",
                      None, message)
        return

    wall = {k: median([r.seconds for r in v]) for k, v in samples.items()}
    peaks = {k: [r.max_rss_kib for r in v if r.max_rss_kib is not None] for k, v in samples.items()}
    peak = {k: (median(v) if v else None) for k, v in peaks.items()}
    speed = wall["torchinfo"] / wall["cnnshape"]
    fastest = {k: min(r.seconds for r in v) for k, v in samples.items()}
    rows = [
        ["`torchinfo.summary(resnet50(), input_size=(1, 3, 224, 224))`, imports and model "
         f"construction included; model: {used}, {versions} (`{torch_label}`)",
         secs(wall["torchinfo"]),
         secs(fastest["torchinfo"]), mib(peak["torchinfo"])],
        [f"`{show(cnn_cmd)}`", secs(wall["cnnshape"]), secs(fastest["cnnshape"]),
         mib(peak["cnnshape"])],
    ]
    lean_text = "n/a"
    lean_ok: bool | None = None
    if peak["torchinfo"] and peak["cnnshape"]:
        lean = peak["torchinfo"] / peak["cnnshape"]
        lean_text, lean_ok = f"{lean:.1f}x leaner", lean >= 10
    rows.append(["**ratio** (of medians)", f"{speed:.1f}x faster",
                 f"{fastest['torchinfo'] / fastest['cnnshape']:.1f}x", lean_text])
    out(f"Fresh process each, median of {settings.torch_runs} interleaved runs after one "
        "discarded warm-up run each; peak RSS is the command's own ru_maxrss (os.wait4 in "
        "bench/_spawn.py).")
    out()
    table(["", "wall time (median)", "min", "peak RSS (median)"], rows, "lrrr")
    table(["target", "measured", "result"], [
        [">= 25x faster", f"{speed:.1f}x",
         results.check("torchinfo", f"cnnshape vs torchinfo ({used}, {versions}), wall time",
                       f"{speed:.1f}x faster",
                       ">= 25x faster", speed >= 25)],
        [">= 10x leaner (peak RSS)", lean_text,
         results.check("torchinfo", f"cnnshape vs torchinfo ({used}, {versions}), peak RSS",
                       lean_text,
                       ">= 10x leaner", lean_ok)],
    ], "lrl")
    phases: dict[str, list[float]] = {}
    for r in samples["torchinfo"]:
        try:
            for key, value in json.loads(r.stderr.strip().splitlines()[-1]).items():
                phases.setdefault(key, []).append(value)
        except (ValueError, IndexError):
            pass
    if phases:
        out("Where the torchinfo child's time goes (medians, measured inside it; the rest is "
            "interpreter start and exit): " +
            ", ".join(f"{k} {secs(median(v))}" for k, v in phases.items()) + ".")
        out()
    results.raw["torchinfo"] = {k: {"seconds": [r.seconds for r in v], "max_rss_kib": peaks[k]}
                                for k, v in samples.items()}
    results.raw["torchinfo"]["phases"] = phases
    results.raw["torchinfo"]["model"] = info


# --------------------------------------------------------------------------------------------
# 3. Scaling of analyze()
# --------------------------------------------------------------------------------------------

def timed(fn: Callable[..., Any], *args: Any, collect: bool = True) -> float:
    """Seconds of one call ``fn(*args)``, after a full collection; ``collect=False`` disables
    the cyclic garbage collector during the call."""
    gc.collect()
    if not collect:
        gc.disable()
    try:
        started = time.perf_counter()
        result = fn(*args)
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    del result  # freeing a 100k-row report is the caller's business, outside the timing
    return elapsed


def bench_scaling(settings: Settings, results: Results) -> None:
    import cnnshape

    out("## 3. Scaling: `cnnshape.analyze()` on long networks")
    out()
    progress("scaling: first call (imports, one-time setup)")
    first = timed(cnnshape.analyze, _synth.sequential(3))
    cases: list[tuple[str, Callable[[], dict[str, Any]], int, float | None]] = [
        ("sequential, 1k layers", lambda: _synth.sequential(1_000),
         settings.repeats(7, 3), None),
        ("sequential, 10k layers", lambda: _synth.sequential(10_000),
         settings.repeats(7, 3), 0.3),
        ("sequential, 100k layers", lambda: _synth.sequential(100_000),
         settings.repeats(3, 1), None),
        ("residual, 2,000 blocks", lambda: _synth.residual(2_000),
         settings.repeats(7, 3), 0.3),
    ]
    out(f"In this process, spec given as a dict: `analyze()` validates it, names the "
        f"layers and walks them. Input {'x'.join(map(str, _synth.SMALL_INPUT))}; sequential = "
        "conv 3x3 padding 1, batchnorm, relu, repeated; residual block = conv-bn-relu-conv-bn "
        "+ identity, relu. Median of the runs shown (each after a full garbage collection), "
        "after the process's first call on a 3-layer net (imports and one-time setup: "
        f"{secs(first)}, not counted).")
    out()
    rows = []
    medians: dict[str, float] = {}
    medians_no_gc: dict[str, float] = {}
    raw: dict[str, Any] = {"first_call_seconds": first}
    for name, build, repeats, target in cases:
        progress(f"scaling: {name} x{repeats}")
        spec = build()
        report = cnnshape.analyze(spec)
        leaves = report.totals.layers
        samples: list[float] = []
        no_gc: list[float] = []
        for _ in range(repeats):  # interleaved: with the cyclic GC as users run it, and without
            samples.append(timed(cnnshape.analyze, spec))
            no_gc.append(timed(cnnshape.analyze, spec, collect=False))
        m = median(samples)
        medians[name] = m
        medians_no_gc[name] = median(no_gc)
        raw[name] = {"seconds": samples, "seconds_gc_disabled": no_gc, "leaf_layers": leaves,
                     "rows": len(report.rows)}
        result = "" if target is None else results.check(
            "scaling", f"analyze() {name}", secs(m), f"< {target} s", m < target)
        rows.append([name, f"{leaves:,}", f"{len(report.rows):,}", secs(m), secs(min(samples)),
                     f"{m / leaves * 1e6:.1f} µs", secs(median(no_gc)), repeats,
                     "" if target is None else f"< {target} s", result])
    table(["network", "leaf layers", "report rows", "median", "min", "per leaf layer",
           "median, GC off", "runs", "target", "result"], rows, "lrrrrrrrrl")
    big, small = "sequential, 100k layers", "sequential, 10k layers"
    ratio = medians[big] / medians[small]
    ratio_no_gc = medians_no_gc[big] / medians_no_gc[small]
    out(f"Linearity: time(100k) / time(10k) = **{ratio:.1f}** (10 is linear; target 7 to 13): "
        + results.check("scaling", "analyze() linearity, 100k/10k sequential", f"{ratio:.1f}",
                        "7 to 13 (10 = linear)", 7 <= ratio <= 13)
        + f". With the cyclic garbage collector disabled during the call: {ratio_no_gc:.1f}.")
    out()
    # Design sweeps: a 100 x 100 grid over specs/lenet.json, through the library.
    from cnnshape.engine.sweep import sweep

    progress("scaling: sweep of 10,000 LeNet variants")
    grid = {"CONV1.filters": list(range(1, 101)), "FC3.units": list(range(1, 101))}
    lenet = str(REPO / "specs" / "lenet.json")
    sweep_times = [timed(sweep, lenet, grid) for _ in range(settings.repeats(3, 1))]
    per_second = 10_000 / median(sweep_times)
    out(f"Design sweep: `cnnshape.sweep.sweep(specs/lenet.json, {{CONV1.filters: 1..100, "
        f"FC3.units: 1..100}})`, 10,000 specs, median {secs(median(sweep_times))}: "
        f"**{per_second:,.0f} specs/s** (target >= 10,000): "
        + results.check("scaling", "sweep of LeNet variants", f"{per_second:,.0f} specs/s",
                        ">= 10,000 specs/s", per_second >= 10_000) + ".")
    out()
    raw["sweep"] = {"seconds": sweep_times, "specs": 10_000}
    results.raw["scaling"] = raw


# --------------------------------------------------------------------------------------------
# 4. The reference pass
# --------------------------------------------------------------------------------------------

def bench_reference(settings: Settings, results: Results) -> None:
    import cnnshape
    import cnnshape.engine.reference

    out("## 4. Reference pass throughput (`cnnshape.reference.run`)")
    out()
    run = cnnshape.engine.reference.run
    progress("reference: warm-up")
    run(_synth.single([4, 4, 2], {"type": "conv", "filters": 2, "kernel": 3}))

    headline: list[tuple[str, str | _synth.Spec, int]] = [
        ("`specs/lenet.json`", str(REPO / "specs" / "lenet.json"), settings.repeats(5, 3)),
        ("conv 64 filters 3x3 padding 1 on 56x56x64", _synth.CONV64_56, settings.repeats(3, 1)),
    ]
    rows = []
    raw: dict[str, Any] = {}
    for label, spec, repeats in headline:
        progress(f"reference: {label} x{repeats}")
        macs = cnnshape.analyze(spec).totals.macs
        samples = [timed(run, spec) for _ in range(repeats)]
        m = median(samples)
        throughput = macs / m
        rows.append([label, f"{macs:,}", secs(m), repeats, rate(throughput, "MACs"), ">= 15 M/s",
                     results.check("reference", f"reference pass on {label}",
                                   rate(throughput, "MACs"), ">= 15 M MACs/s",
                                   throughput >= 15e6)])
        raw[label] = {"macs": macs, "seconds": samples}
    out("MACs from `cnnshape.analyze(spec).totals.macs`; time of the whole "
        "`cnnshape.reference.run(spec)` (load, random weights and input included), median:")
    out()
    table(["network", "MACs", "run() median", "runs", "throughput", "target", "result"], rows,
          "lrrrrrl")

    kinds = []
    repeats = settings.repeats(5, 3)
    for kind in _synth.KINDS:
        progress(f"reference: {kind.label} x{repeats}")
        spec, base = kind.spec(), kind.baseline()
        report = cnnshape.analyze(spec)
        work = report.totals.macs if kind.by_macs else report.rows[-1].activation_size
        run(spec)
        run(base)
        with_layer: list[float] = []
        without: list[float] = []
        for _ in range(repeats):  # interleaved
            with_layer.append(timed(run, spec))
            without.append(timed(run, base))
        total, floor = median(with_layer), median(without)
        layer = total - floor
        throughput = work / layer if layer > 0 else float("inf")
        kinds.append([kind.label, kind.describe(),
                      f"{work:,} {'MACs' if kind.by_macs else 'elements'}",
                      secs(total), secs(floor), secs(layer),
                      rate(throughput, "MACs" if kind.by_macs else "elements")])
        raw[kind.label] = {"work": work, "unit": "MACs" if kind.by_macs else "output elements",
                           "seconds": with_layer, "input_only_seconds": without}
    out(f"Per layer kind: one layer on a random input, median of {repeats} interleaved runs of "
        "`run(spec)` and of `run()` on the same input with no layer (drawing the random input); "
        "throughput = work / (difference). Layers without MACs count output elements.")
    out()
    table(["kind", "spec", "work", "run()", "input only", "layer", "throughput"], kinds,
          "llrrrrr")
    results.raw["reference"] = raw


# --------------------------------------------------------------------------------------------
# 5. Pictures
# --------------------------------------------------------------------------------------------

def bench_pictures(settings: Settings, results: Results) -> None:
    from cnnshape.render.charts import chart_svg
    from cnnshape.render.diagram import graph_svg
    from cnnshape.render.report import report_html
    from cnnshape.render.volume import volume_svg

    out("## 5. Pictures of ResNet-152 (`specs/resnet152.json`)")
    out()
    spec = str(REPO / "specs" / "resnet152.json")
    cases: list[tuple[str, Callable[[], Any], float]] = [
        ("chart (`chart_svg`)", lambda: chart_svg(spec), 1.0),
        ("volume drawing (`volume_svg`)", lambda: volume_svg(spec), 1.0),
        ("graph drawing, fully unfolded (`graph_svg`)", lambda: graph_svg(spec), 5.0),
        ("HTML report without its diagram (`report_html`)",
         lambda: report_html(spec, diagram_svg="<svg/>"), 2.0),
    ]
    rows = []
    raw: dict[str, Any] = {}
    for label, draw, target in cases:
        repeats = settings.repeats(5, 2)
        progress(f"pictures: {label} x{repeats}")
        draw()  # imports and caches warm
        samples = [timed(draw) for _ in range(repeats)]
        m = median(samples)
        rows.append([label, secs(m), secs(min(samples)), repeats, f"< {target} s",
                     results.check("pictures", label, secs(m), f"< {target} s", m < target)])
        raw[label] = {"seconds": samples}
    out("Median of the runs, each after a full garbage collection, after one warm-up call:")
    out()
    table(["picture", "median", "min", "runs", "target", "result"], rows, "lrrrrl")
    results.raw["pictures"] = raw


# --------------------------------------------------------------------------------------------
# Summary and main
# --------------------------------------------------------------------------------------------

def summary(results: Results, elapsed: float) -> None:
    out("## Summary")
    out()
    table(["section", "measurement", "measured", "target", "result"],
          [[c.section, c.name, c.measured, c.target,
            verdict(c.passed) + (f" ({c.note})" if c.note else "")] for c in results.checks],
          "llrrl")
    passed = sum(c.passed is True for c in results.checks)
    failed = sum(c.passed is False for c in results.checks)
    other = len(results.checks) - passed - failed
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    out(f"{passed} passed, {failed} failed" + (f", {other} not measured" if other else "") +
        f". The benchmark took {elapsed:.0f} s; load average at the end {load}.")


def parse_args(argv: Sequence[str] | None) -> tuple[Settings, argparse.Namespace]:
    parser = argparse.ArgumentParser(
        description="Benchmark cnnshape; prints a Markdown report on stdout.",
        epilog=f"Sections: {', '.join(SECTIONS)}.")
    parser.add_argument("--quick", action="store_true",
                        help="fewer repetitions (startup 7 runs, torchinfo 2, fewer in-process)")
    parser.add_argument("--only", default=",".join(SECTIONS), metavar="LIST",
                        help="comma-separated sections to run (default: all)")
    parser.add_argument("--runs", type=int, default=None, metavar="N",
                        help="startup runs per command (default 21, 7 with --quick)")
    parser.add_argument("--torch-runs", type=int, default=None, metavar="N",
                        help="torchinfo/cnnshape runs (default 5, 2 with --quick)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="timeout of one startup subprocess in seconds (default 60)")
    parser.add_argument("--torch-timeout", type=float, default=600.0, metavar="S",
                        help="timeout of one torchinfo subprocess in seconds (default 600)")
    parser.add_argument("--torch-python", default=sys.executable, metavar="PATH",
                        help="interpreter that runs the torchinfo side, bench/torch_resnet50.py "
                             "(default: this one); with torchvision importable there it "
                             "summarises torchvision.models.resnet50, else a torch.nn rebuild")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH",
                        help="also write every raw sample and check as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    only = tuple(s.strip() for s in args.only.split(",") if s.strip())
    unknown = [s for s in only if s not in SECTIONS]
    if unknown or not only:
        parser.error(f"--only: unknown section(s) {', '.join(unknown) or '(none given)'}; "
                     f"choose from {', '.join(SECTIONS)}")
    for name in ("runs", "torch_runs"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    torch_python = args.torch_python
    if torch_python != sys.executable:  # absolute (children run in the repository), or on PATH
        found = (os.path.abspath(torch_python) if os.sep in torch_python
                 else shutil.which(torch_python))
        if not found or not os.path.isfile(found) or not os.access(found, os.X_OK):
            parser.error(f"--torch-python: {torch_python} is not an executable file")
        torch_python = found
    settings = Settings(
        quick=args.quick,
        only=tuple(s for s in SECTIONS if s in only),
        startup_runs=args.runs or (7 if args.quick else 21),
        torch_runs=args.torch_runs or (2 if args.quick else 5),
        timeout=args.timeout,
        torch_timeout=args.torch_timeout,
        torch_python=torch_python,
    )
    return settings, args


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    settings, args = parse_args(argv)
    results = Results()
    needs_cli = {"startup", "torchinfo"} & set(settings.only)
    command, note = cnnshape_command() if needs_cli else ([], "not used (no subprocess section)")
    header(settings, note, _subproc.rss_floor() if needs_cli else None)
    sections: dict[str, Callable[[], None]] = {
        "startup": lambda: bench_startup(settings, results, command),
        "torchinfo": lambda: bench_torchinfo(settings, results, command),
        "scaling": lambda: bench_scaling(settings, results),
        "reference": lambda: bench_reference(settings, results),
        "pictures": lambda: bench_pictures(settings, results),
    }
    for name in settings.only:
        try:
            sections[name]()
        except Exception as error:  # one broken section must not hide the others' numbers
            message = f"{type(error).__name__}: {error}"
            out(f"FAILED: the {name} section stopped with {message}")
            out()
            progress(f"{name}: stopped with {message}")
            results.check(name, f"{name} section", "n/a", "runs", False, message)
    elapsed = time.perf_counter() - started
    summary(results, elapsed)
    if args.json:
        args.json.write_text(json.dumps({"checks": [asdict(c) for c in results.checks],
                                         "raw": results.raw, "seconds": elapsed}, indent=1))
        progress(f"raw results written to {args.json}")
    progress(f"done in {elapsed:.0f} s")
    failed = any(c.passed is False for c in results.checks)
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
