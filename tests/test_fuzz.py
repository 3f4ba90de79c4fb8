"""Fuzzing every layer kind and named connection, in 0-D (flat), 1-D, 2-D and 3-D, through
the library and the command line (the generators and the shape oracle: tests/strategies.py).

* Valid networks: every row's shape, name and the layers it reads (``from``, merge inputs)
  equal the oracle's; ``verify`` passes, with and without channel caps. (test_property.py
  checks the same networks' shapes against the reference pass's measured ones.)
* The generator draws every layer kind in 1-D, 2-D and 3-D, and every kind of named
  connection (a fixed, derandomized sample, so a generator change cannot silently drop one).
* Mutated valid specs (a field replaced by any JSON value, deleted or added unknown, a
  referenced layer renamed, ``from``/``inputs`` pointed at a later or unknown layer, wrong types
  in nested composites, layers swapped or retyped, huge numbers), spec-shaped soup and any JSON
  document, in a temp file (JSON or YAML, sometimes corrupted), through ``cnnshape table`` and
  ``cnnshape verify``: exit 0, or exit 2 with one line per problem, each starting with the file
  name; never a traceback.
* The library raises only SpecError for them, whose lines each start with "<spec>: ".

CI runs the defaults below: 500 examples over the properties plus the 800 networks of the
coverage sample, about 12 s. Nightly, 10,000 examples per property (test_property.py's too;
about 12 minutes on one core):

    python -m pytest tests/test_fuzz.py tests/test_property.py --fuzz-examples 10000
    CNNSHAPE_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py tests/test_property.py

The bugs the fuzzing found have regression tests at the end of this file.
"""

from __future__ import annotations

import json
import signal
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import (
    COMPOSITES,
    TYPES,
    features,
    fuzz_settings,
    json_documents,
    mutated_specs,
    networks,
    run_oracle,
)

import cnnshape
from cnnshape import SpecError
from cnnshape.cli.app import main
from cnnshape.engine.reference import DEFAULT_BUDGET
from cnnshape.render import text as render

SMALL_BUDGET = 20_000
"""verify's MAC budget in the robustness properties: a huge (mutated) network is refused or
capped in milliseconds instead of running for minutes."""


# ---------------------------------------------------------------- valid networks

@fuzz_settings(100)
@given(networks(), st.sampled_from([DEFAULT_BUDGET, 5_000, 500]))
def test_named_graphs_resolve_as_the_oracle_says(spec: dict, budget: int) -> None:
    oracle = run_oracle(spec)
    report = cnnshape.analyze(spec)
    where = json.dumps(spec)
    assert [tuple(row.output_shape) for row in report.rows] == oracle.rows, where
    for row, (name, reads) in zip(report.rows, oracle.names, strict=False):
        assert row.inputs == reads, (row.path, where)
        if name is not None:
            assert row.name == name, (row.path, where)
    names = [row.name for row in report.rows]
    assert len(set(names)) == len(names), where
    try:
        result = cnnshape.verify(spec, budget=budget)
    except SpecError as error:  # a small budget refuses the larger networks
        assert budget < DEFAULT_BUDGET and "too large for the reference pass" in str(error)
        return
    assert result.ok, where


REQUIRED = {
    *TYPES,
    *(f"{kind}/{nd}d" for kind in TYPES for nd in (1, 2, 3)),
    *(f"{kind}/0d" for kind in ("dense", "activation", "dropout", "batchnorm", "layernorm",
                                "scale", "flatten", "merge", "from", *COMPOSITES)),
    "from on a composite", "names inside a repeat", "merge add", "merge multiply",
    "merge concat", "merge of 3+ names", "merge reading a name twice", "merge reading input",
    "merge reading a repetition by suffix", "broadcasting multiply",
    "multiply by a [1, ..., 1, C] or [C] gate", "crop merge concat of different sizes",
    "crop merge add of different sizes",
}


def test_the_generator_draws_every_kind_and_connection() -> None:
    seen: set[str] = set()

    @settings(max_examples=800, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(networks())
    def collect(spec: dict) -> None:
        seen.update(features(spec))

    collect()
    assert REQUIRED <= seen, sorted(REQUIRED - seen)


# ---------------------------------------------------------------- the command line

FILE_NAMES = ["spec.json", "spec.yaml", "net.yml", "ünï spec.json", "spec.txt"]


@st.composite
def spec_files(draw: Any, documents: st.SearchStrategy) -> tuple[str, bytes]:
    """(file name, contents): a document as JSON or YAML, now and then corrupted."""
    document = draw(documents)
    name = draw(st.sampled_from(FILE_NAMES))
    if name.endswith((".yaml", ".yml")) and draw(st.booleans()):
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    else:
        text = json.dumps(document, ensure_ascii=draw(st.booleans()),
                          indent=draw(st.sampled_from([None, 1])))
    data = text.encode()
    damage = draw(st.sampled_from(["none"] * 8 + ["truncate", "insert", "bom", "bytes", "empty"]))
    if damage == "truncate":
        data = data[:draw(st.integers(0, len(data)))]
    elif damage == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"{", b"]", b",", b":", b"\t", b"#", b"!!"])) \
            + data[at:]
    elif damage == "bom":
        data = b"\xef\xbb\xbf" + data
    elif damage == "bytes":
        data = data + b"\xff\xfe"
    elif damage == "empty":
        data = draw(st.sampled_from([b"", b" \n", b"null", b"[]", b"{}", b"---\n"]))
    return name, data


def check_cli(result: Any, where: str, ok: tuple[int, ...] = (0, 2)) -> None:
    """Exit 0, or 2 with one line per problem each naming the file; never a traceback."""
    shown = f"exit {result.exit_code}:\n{result.output}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        raise AssertionError("".join(traceback.format_exception(*result.exc_info)))
    assert "Traceback" not in result.output, shown
    assert result.exit_code in ok, shown
    if result.exit_code == 2:
        lines = result.output.split("\n")
        assert lines[-1] == "" and len(lines) > 1, shown
        assert all(line.startswith(f"{where}: ") for line in lines[:-1]), shown


def run_cli(name: str, data: bytes, table_args: list[str], verify_json: bool,
            compare: bool) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / name)
        Path(path).write_bytes(data)
        result = runner.invoke(main, ["table", path, *table_args])
        check_cli(result, path)
        if result.exit_code == 0 and table_args == ["--format", "json"]:
            assert json.loads(result.stdout) == cnnshape.analyze(path).to_dict()
        accepted = result.exit_code == 0
        result = runner.invoke(main, ["verify", path, "--budget", str(SMALL_BUDGET),
                                      *(["--format", "json"] if verify_json else [])])
        check_cli(result, path)  # never 1: the reference pass agrees on every accepted spec
        assert (result.exit_code == 0) == accepted or "too large" in result.output, \
            result.output
        if compare:
            check_cli(runner.invoke(main, ["compare-dense", path]), path)


TABLE_ARGS = st.sampled_from([
    [], ["--format", "json"], ["--format", "csv"], ["--format", "markdown"], ["--depth", "1"],
    ["--format", "markdown", "--depth", "2"], ["--depth", "0"], ["--rf"],
    ["--rf", "--format", "markdown", "--units", "human", "--layout", "chw"],
    ["--columns", "layer,shape,size,params,macs,flops,memory,rf_size,rf_stride",
     "--units", "human", "--batch", "3", "--dtype", "int8"],
    ["--format", "csv", "--layout", "chw", "--batch", "2", "--dtype", "float16"]])


@fuzz_settings(100)
@given(spec_files(mutated_specs()), TABLE_ARGS, st.booleans(), st.integers(0, 3))
def test_cli_on_mutated_specs(file: tuple[str, bytes], table_args: list[str],
                              verify_json: bool, compare: int) -> None:
    run_cli(*file, table_args, verify_json, compare == 0)


@fuzz_settings(100)
@given(spec_files(json_documents()), TABLE_ARGS, st.booleans(), st.integers(0, 3))
def test_cli_on_any_document(file: tuple[str, bytes], table_args: list[str],
                             verify_json: bool, compare: int) -> None:
    run_cli(*file, table_args, verify_json, compare == 0)


@fuzz_settings(50)
@given(json_documents())
def test_cli_reads_any_document_from_stdin(document: Any) -> None:
    result = CliRunner().invoke(main, ["table", "-", "--format", "json"],
                                input=json.dumps(document))
    check_cli(result, "<stdin>")


# ---------------------------------------------------------------- the library

def analyze_or_problems(source: Any, where: tuple[str, ...] = ("<spec>",)
                        ) -> tuple[cnnshape.Report | None, list[str] | None]:
    """The report, or the SpecError's lines (checked: each starts with one of ``where``);
    any other exception propagates."""
    try:
        return cnnshape.analyze(source), None
    except SpecError as error:
        assert error.problems, source
        for line in error.problems:
            assert line.startswith(tuple(f"{w}: " for w in where)) and "\n" not in line, \
                error.problems
        assert str(error) == "\n".join(error.problems)
        return None, error.problems


@fuzz_settings(150)
@given(json_documents())
def test_the_library_raises_only_spec_errors(document: Any) -> None:
    text = json.dumps(document)
    report, problems = analyze_or_problems(text, ("<spec>", text))  # "5" names a file
    if isinstance(document, dict):  # a dict, its JSON text and its YAML text alike
        assert analyze_or_problems(document)[1] == problems
        as_yaml = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
        if yaml.safe_load(as_yaml) == document:  # PyYAML reads some line breaks as spaces
            assert analyze_or_problems(as_yaml)[1] == problems
    if report is None:
        return
    json.dumps(report.to_dict())
    for depth in (None, 1):
        render.to_json(report, depth)
        render.to_csv(report, depth)
        render.to_markdown(report, depth)
    cnnshape.compare_dense(document).to_dict()
    try:
        result = cnnshape.verify(document, budget=SMALL_BUDGET)
    except SpecError as error:
        assert "too large for the reference pass" in str(error)
        return
    assert result.ok, text


# ---------------------------------------------------------------- what the fuzzing found

@pytest.mark.parametrize("layer", [
    {"type": "dense", "units": 2, "from": "x\ny"},
    {"type": "merge", "mode": "add", "inputs": ["input", "x\ny"]},
    {"type": "conv", "name": "a\nb", "filters": 2, "kernel": 9},
    {"type": "conv\nx"},
    {"type": "dense", "units": 2, "extra\nfield": 1},
])
def test_a_line_break_in_a_name_stays_on_one_line(layer: dict) -> None:
    with pytest.raises(SpecError) as info:
        cnnshape.analyze({"input": [4, 2], "layers": [layer]})
    assert all("\n" not in line for line in info.value.problems), info.value.problems


@pytest.mark.parametrize("command, where", [("table", "network"), ("compare-dense", "network"),
                                            ("verify", "layer"), ("compare-dense", "layer")])
def test_markup_in_a_name_is_shown_as_written(command: str, where: str,
                                              tmp_path: Path) -> None:
    spec: dict = {"input": [4, 2], "layers": [{"type": "dense", "units": 2}]}
    if where == "network":
        spec["name"] = "[/]"
    else:
        spec["layers"][0]["name"] = "[/]"
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    result = CliRunner().invoke(main, [command, str(path)])
    check_cli(result, str(path), ok=(0,))
    assert "[/]" in result.output


def within_a_second(fn: Any) -> Any:
    """fn(), or TimeoutError after a second."""
    def give_up(*_: Any) -> None:
        raise TimeoutError("still running after a second")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(1)
    try:
        return fn()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_huge_adaptive_pool_is_analysed_at_once() -> None:
    spec = {"input": [4, 4, 2], "layers": [{"type": "adaptive_pool", "output_size": 10 ** 9}]}
    report = within_a_second(lambda: cnnshape.analyze(spec))
    assert report.output_shape == [10 ** 9, 10 ** 9, 2]


@pytest.mark.parametrize("layer", [
    {"type": "pool", "kernel": 2 ** 40, "stride": 1, "padding": "same"},
    {"type": "conv", "filters": 1, "kernel": 2, "dilation": 2 ** 40, "padding": "same"},
])
def test_verify_refuses_a_huge_same_padding(layer: dict) -> None:
    with pytest.raises(SpecError, match="too large for the reference pass"):
        within_a_second(lambda: cnnshape.verify({"input": [4, 2], "layers": [layer]}))


def test_a_huge_repeat_count_is_refused_quickly() -> None:
    spec = {"input": [4, 2], "layers": [
        {"type": "repeat", "times": 10 ** 9, "layers": [{"type": "scale"}]}]}
    with pytest.raises(SpecError):
        within_a_second(lambda: cnnshape.analyze(spec))
