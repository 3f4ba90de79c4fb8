"""Display options: chosen columns, FLOPs = 2 x MACs, human units, channels-first layout."""

from __future__ import annotations

from click.testing import CliRunner

from cnnshape.cli.app import main


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["table", "specs/lenet.json", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_flops_column_says_what_it_counts() -> None:
    out = run("--columns", "layer,macs,flops")
    assert "FLOPs (2 x MACs)" in out
    # CONV1: 28*28*8 * 5*5*3 = 470,400 MACs -> 940,800 FLOPs
    assert "470,400" in out and "940,800" in out
    assert "Activation shape" not in out


def test_human_units_and_exact_default() -> None:
    assert "470,400" in run()
    human = run("--units", "human", "--columns", "layer,params,macs")
    assert "470.4 k" in human and "48.1 k" in human  # CONV1 MACs; FC3 params 48,120


def test_chw_layout_shows_pytorch_order() -> None:
    out = run("--layout", "chw", "--columns", "layer,shape")
    assert "(8, 28, 28)" in out and "(28, 28, 8)" not in out
    assert "(120,)" in out  # a flat vector has no channel axis to move


def test_memory_column_scales_with_batch_and_dtype() -> None:
    out = run("--columns", "layer,memory", "--batch", "4", "--dtype", "float16")
    # input: 3,072 values x 4 samples x 2 bytes = 24,576 bytes = 0.02 MiB
    assert "0.02 MiB" in out and "peak" in out


def test_unknown_column_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["table", "specs/lenet.json", "--columns", "layer,colour"])
    assert result.exit_code == 2 and "colour" in result.output


def test_markdown_follows_the_columns() -> None:
    md = run("--format", "markdown", "--columns", "layer,params,flops")
    assert "| Layer | # Parameters | FLOPs (2 x MACs) |" in md and "|---|---:|---:|" in md
