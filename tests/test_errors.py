"""Every kind of bad spec: a cnnshape.SpecError, one line per problem, each line naming
the source, the layer path and what is wrong; never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cnnshape
from cnnshape import SpecError

SPECS = Path(__file__).resolve().parent.parent / "specs"


def conv(**fields):
    return {"type": "conv", **fields}


def net(layers, input=(8, 8, 3)):
    return {"input": list(input), "layers": layers}


def problems(source):
    with pytest.raises(SpecError) as info:
        cnnshape.analyze(source)
    error = info.value
    assert isinstance(error, ValueError)
    assert str(error).split("\n") == error.problems
    return error.problems


def one_problem(source, where, *fragments, origin="<spec>"):
    """The single error line is `origin: where: ...` and contains every fragment."""
    lines = problems(source)
    assert len(lines) == 1, lines
    line = lines[0]
    prefix = f"{origin}: {where}: " if where else f"{origin}: "
    assert line.startswith(prefix), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


# ---------------------------------------------------------------- shape problems

SHAPE_CASES = {
    "kernel larger than input": (
        net([conv(filters=2, kernel=9)]),
        'layers[0] (conv "conv_1")', ["height", "kernel 9", "larger than the padded input 8"]),
    "kernel larger than padded input": (
        net([conv(filters=2, kernel=[3, 12], padding=1)]),
        'layers[0] (conv "conv_1")', ["width", "kernel 12", "padded input 10"]),  # 8 + 2*1
    "dilated kernel larger than padded input": (
        net([conv(filters=2, kernel=3, dilation=4)]),
        'layers[0] (conv "conv_1")', ["kernel 3", "dilated to 9", "padded input 8"]),  # 4*(3-1)+1
    "pool kernel larger than input": (
        net([{"type": "pool", "kernel": 9}]),
        'layers[0] (pool "pool_1")', ["kernel 9", "padded input 8"]),
    "conv_transpose dimension reaches 0": (
        # (1 - 1)*1 - 2*1 + 1*(2 - 1) + 0 + 1 = 0
        net([{"type": "conv_transpose", "filters": 2, "kernel": 2, "padding": 1}], (1, 1, 3)),
        'layers[0] (conv_transpose "conv_transpose_1")', ["reaches 0"]),
    "conv_transpose dimension below 0": (
        # (2 - 1)*1 - 2*3 + 0 + 0 + 1 = -4
        net([{"type": "conv_transpose", "filters": 2, "kernel": 1, "padding": 3}], (2, 2, 3)),
        'layers[0] (conv_transpose "conv_transpose_1")', ["reaches -4"]),
    "groups do not divide in-channels": (
        net([conv(filters=4, kernel=1, groups=2)]),
        'layers[0] (conv "conv_1")', ["groups 2", "3 input channels"]),
    "groups do not divide filters": (
        net([conv(filters=3, kernel=1, groups=2)], (8, 8, 4)),
        'layers[0] (conv "conv_1")', ["groups 2", "filters 3"]),
    "conv_transpose groups": (
        net([{"type": "conv_transpose", "filters": 4, "kernel": 1, "groups": 4}]),
        'layers[0] (conv_transpose "conv_transpose_1")', ["groups 4", "3 input channels"]),
    "pool padding more than half the kernel": (
        net([{"type": "pool", "kernel": 3, "padding": 2}]),  # 2 > 3 // 2
        'layers[0] (pool "pool_1")', ["padding 2", "half the kernel 3"]),
    "output_padding not smaller than stride": (
        net([{"type": "conv_transpose", "filters": 2, "kernel": 3, "stride": 2,
              "output_padding": 2}]),
        'layers[0] (conv_transpose "conv_transpose_1")',
        ["output_padding 2", "smaller than stride 2"]),
    "output_padding not smaller than dilation": (
        net([{"type": "conv_transpose", "filters": 2, "kernel": 3, "dilation": 2,
              "output_padding": [0, 2]}]),
        'layers[0] (conv_transpose "conv_transpose_1")', ["output_padding 2", "dilation 2"]),
    "conv after flatten": (
        net([{"type": "flatten"}, conv(filters=2, kernel=1)]),
        'layers[1] (conv "conv_1")', ["spatial dimensions", "(192,)", "flatten"]),  # 8*8*3
    "pool after dense": (
        net([{"type": "flatten"}, {"type": "dense", "units": 4}, {"type": "pool", "kernel": 1}]),
        'layers[2] (pool "pool_1")', ["spatial dimensions", "(4,)"]),
    "global_pool after flatten": (
        net([{"type": "flatten"}, {"type": "global_pool"}]),
        'layers[1] (global_pool "global_pool_1")', ["spatial dimensions"]),
    "upsample after flatten": (
        net([{"type": "flatten"}, {"type": "upsample", "scale": 2}]),
        'layers[1] (upsample "upsample_1")', ["spatial dimensions"]),
    "spatial layer on an input without spatial dims": (
        net([conv(filters=2, kernel=1)], (3,)),
        'layers[0] (conv "conv_1")', ["spatial dimensions", "(3,)"]),
    "kernel list too long": (
        net([conv(filters=2, kernel=[3, 3, 3])]),
        'layers[0] (conv "conv_1")', ["kernel", "3 entries", "2 spatial dimensions"]),
    "stride list too short": (
        net([conv(filters=2, kernel=1, stride=[1])]),
        'layers[0] (conv "conv_1")', ["stride", "1 entry", "2 spatial dimensions"]),
    "padding list in 1-D": (
        net([{"type": "pad", "padding": [1, 1]}], (8, 3)),
        'layers[0] (pad "pad_1")', ["padding", "2 entries", "1 spatial dimension"]),
    "output_size list in 3-D": (
        net([{"type": "adaptive_pool", "output_size": [2, 2]}], (4, 4, 4, 3)),
        'layers[0] (adaptive_pool "adaptive_pool_1")', ["output_size", "3 spatial dimensions"]),
    "residual shape mismatch": (
        net([{"type": "residual", "body": [conv(filters=4, kernel=1)]}]),
        'layers[0] (residual "residual_1")', ["(8, 8, 4)", "(8, 8, 3)", "shapes differ"]),
    "residual spatial mismatch": (
        net([{"type": "residual", "body": [conv(filters=3, kernel=3)],
              "shortcut": [conv(filters=3, kernel=1)]}]),
        'layers[0] (residual "residual_1")', ["(6, 6, 3)", "(8, 8, 3)"]),
    "concat spatial mismatch": (
        net([{"type": "concat", "branches": [[conv(filters=4, kernel=3)], []]}]),
        'layers[0] (concat "concat_1")', ["(6, 6, 4)", "(8, 8, 3)", "spatial sizes differ"]),
    "nested in residual body": (
        net([conv(filters=3, kernel=1)] * 5
            + [{"type": "residual",
                "body": [conv(filters=3, kernel=1), conv(filters=3, kernel=9)]}]),
        'layers[5].body[1] (conv "conv_7")', ["kernel 9", "padded input 8"]),
    "nested in concat branch": (
        net([{"type": "concat", "branches": [[], [{"type": "pool", "kernel": 9}]]}]),
        'layers[0].branches[1][0] (pool "pool_1")', ["kernel 9"]),
    "nested in a repetition": (
        # 8 -> 6 -> 4 -> 2 -> the fourth 3x3 conv does not fit
        net([{"type": "repeat", "times": 4, "layers": [conv(filters=3, kernel=3, name="c")]}]),
        'layers[0].layers[0] (conv "c_4")', ["kernel 3", "padded input 2"]),
}


@pytest.mark.parametrize("case", SHAPE_CASES, ids=list(SHAPE_CASES))
def test_shape_problem(case):
    spec, where, fragments = SHAPE_CASES[case]
    one_problem(spec, where, *fragments)


def test_named_layer_site_from_a_file(tmp_path):
    """`file: layers[2] (conv "CONV2"): ...`: the file and the spec's own layer name."""
    spec = json.loads((SPECS / "lenet.json").read_text())
    spec["layers"][2]["kernel"] = 15  # POOL1 leaves 14x14
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(spec))
    one_problem(path, 'layers[2] (conv "CONV2")', "kernel 15", "padded input 14",
                origin=str(path))
    one_problem(str(path), 'layers[2] (conv "CONV2")', "kernel 15", origin=str(path))


def test_layers3_site(tmp_path):
    spec = net([conv(filters=2, kernel=1), conv(filters=2, kernel=1), conv(filters=2, kernel=1),
                conv(name="CONV2", filters=2, kernel=3, dilation=5)])
    path = tmp_path / "net.yaml"
    import yaml

    path.write_text(yaml.safe_dump(spec))
    one_problem(path, 'layers[3] (conv "CONV2")', "dilated to 11", origin=str(path))


# ---------------------------------------------------------------- field problems

FIELD_CASES = {
    "stride 0": (net([conv(filters=2, kernel=1, stride=0)]), "layers[0] (conv)",
                 ["stride", ">= 1", "0"]),
    "kernel 0": (net([conv(filters=2, kernel=0)]), "layers[0] (conv)", ["kernel", ">= 1"]),
    "kernel list entry 0": (net([conv(filters=2, kernel=[3, 0])]), "layers[0] (conv)",
                            ["kernel", ">= 1"]),
    "pool stride 0": (net([{"type": "pool", "kernel": 2, "stride": 0}]), "layers[0] (pool)",
                      ["stride", ">= 1"]),
    "dilation 0": (net([conv(filters=2, kernel=1, dilation=0)]), "layers[0] (conv)",
                   ["dilation", ">= 1"]),
    "filters 0": (net([conv(filters=0, kernel=1)]), "layers[0] (conv)", ["filters", ">= 1"]),
    "groups 0": (net([conv(filters=2, kernel=1, groups=0)]), "layers[0] (conv)",
                 ["groups", ">= 1"]),
    "units 0": (net([{"type": "dense", "units": 0}], (4,)), "layers[0] (dense)",
                ["units", ">= 1"]),
    "scale 0": (net([{"type": "upsample", "scale": 0}]), "layers[0] (upsample)",
                ["scale", ">= 1"]),
    "output_size 0": (net([{"type": "adaptive_pool", "output_size": 0}]),
                      "layers[0] (adaptive_pool)", ["output_size", ">= 1"]),
    "times 0": (net([{"type": "repeat", "times": 0, "layers": []}]), "layers[0] (repeat)",
                ["times", ">= 1"]),
    "negative conv padding": (net([conv(filters=2, kernel=1, padding=-1)]), "layers[0] (conv)",
                              ["padding", ">= 0", "-1"]),
    "negative pad": (net([{"type": "pad", "padding": [1, -2]}]), "layers[0] (pad)",
                     ["padding", ">= 0"]),
    "negative pool padding": (net([{"type": "pool", "kernel": 2, "padding": -1}]),
                              "layers[0] (pool)", ["padding", ">= 0"]),
    "negative output_padding": (net([{"type": "conv_transpose", "filters": 1, "kernel": 1,
                                      "output_padding": -1}]),
                                "layers[0] (conv_transpose)", ["output_padding", ">= 0"]),
    "unknown type": (net([{"type": "convolution", "filters": 2}]), "layers[0] (convolution)",
                     ['unknown layer type "convolution"', "conv_transpose", "residual"]),
    "type not a string": (net([{"type": 3}]), "layers[0] (layer)", ["type", "string", "3"]),
    "missing type": (net([{"filters": 3}]), "layers[0] (layer)", ['"type"']),
    "unknown field": (net([conv(filters=2, kernel=1, kernal=3)]), "layers[0] (conv)",
                      ['unknown field "kernal"']),
    "unknown top-level field": ({**net([]), "layer": []}, "", ['unknown field "layer"']),
    "missing field": (net([conv(filters=2)]), "layers[0] (conv)",
                      ['missing required field "kernel"']),
    "unknown padding mode": (net([conv(filters=2, kernel=1, padding="full")]),
                             "layers[0] (conv)", ["padding", '"full"', '"valid"', '"same"']),
    "unknown pool padding mode": (net([{"type": "pool", "kernel": 2, "padding": "causal"}]),
                                  "layers[0] (pool)", ["padding", '"causal"']),
    "unknown pool mode": (net([{"type": "pool", "kernel": 2, "mode": "min"}]), "layers[0] (pool)",
                          ["mode", "'max'", "'avg'", '"min"']),
    "unknown global_pool mode": (net([{"type": "global_pool", "mode": "sum"}]),
                                 "layers[0] (global_pool)", ["mode", '"sum"']),
    "unknown fused activation": (net([conv(filters=2, kernel=1, activation="swish")]),
                                 "layers[0] (conv)", ["activation", "'relu'", '"swish"']),
    "unknown activation function": (net([{"type": "activation", "function": "mish"}]),
                                    "layers[0] (activation)", ["function", '"mish"']),
    "unknown residual activation": (net([{"type": "residual", "body": [],
                                          "activation": "Relu"}]),
                                    "layers[0] (residual)", ["activation", '"Relu"']),
    "string where an int belongs": (net([conv(filters="3", kernel=1)]), "layers[0] (conv)",
                                    ["filters", "integer", '"3"']),
    "float where an int belongs": (net([conv(filters=2.5, kernel=1)]), "layers[0] (conv)",
                                   ["filters", "integer", "2.5"]),
    "true where an int belongs": (net([conv(filters=True, kernel=1)]), "layers[0] (conv)",
                                  ["filters", "integer", "true"]),
    "string kernel": (net([conv(filters=2, kernel="3")]), "layers[0] (conv)",
                      ["kernel", '"3"']),
    "float kernel": (net([conv(filters=2, kernel=2.0)]), "layers[0] (conv)", ["kernel", "2.0"]),
    "true kernel": (net([conv(filters=2, kernel=True)]), "layers[0] (conv)", ["kernel", "true"]),
    "true in a kernel list": (net([conv(filters=2, kernel=[3, True])]), "layers[0] (conv)",
                              ["kernel", "[3, true]"]),
    "string times": (net([{"type": "repeat", "times": "2", "layers": []}]), "layers[0] (repeat)",
                     ["times", '"2"']),
    "string bias": (net([conv(filters=2, kernel=1, bias="yes")]), "layers[0] (conv)",
                    ["bias", "true or false", '"yes"']),
    "int name": (net([conv(filters=2, kernel=1, name=3)]), "layers[0] (conv)",
                 ["name", "string", "3"]),
    "kernel list of 4": (net([conv(filters=2, kernel=[1, 1, 1, 1])]), "layers[0] (conv)",
                         ["kernel", "at most 3"]),
    "empty kernel list": (net([conv(filters=2, kernel=[])]), "layers[0] (conv)", ["kernel"]),
    "dropout rate 1": (net([{"type": "dropout", "rate": 1.0}]), "layers[0] (dropout)",
                       ["rate", "< 1"]),
    "layers not a list": ({"input": [8, 8, 3], "layers": {}}, "", ["layers", "list"]),
    "layer not an object": (net([3]), "layers[0]", ["object", "3"]),
    "concat without branches": (net([{"type": "concat", "branches": []}]), "layers[0] (concat)",
                                ["branches", "at least 1"]),
    "nested field in residual body": (
        net([conv(filters=3, kernel=1)] * 5
            + [{"type": "residual",
                "body": [conv(filters=3, kernel=1), conv(filters=3, kernel=0)]}]),
        "layers[5].body[1] (conv)", ["kernel", ">= 1"]),
    "nested field in a named layer": (
        net([{"type": "sequential", "name": "stem", "layers": [
            conv(filters=3, kernel=1), conv(name="CONV2", filters=3, kernel=1, padding="full")]}]),
        'layers[0].layers[1] (conv "CONV2")', ["padding", '"full"']),
    "nested field in a concat branch": (
        net([{"type": "concat", "branches": [[], [conv(filters=3, kernel=1, stride=0)]]}]),
        "layers[0].branches[1][0] (conv)", ["stride", ">= 1"]),
    "nested field in a shortcut": (
        net([{"type": "residual", "body": [], "shortcut": [{"type": "pool", "kernel": 2,
                                                              "mode": "sum"}]}]),
        "layers[0].shortcut[0] (pool)", ["mode", '"sum"']),
}


@pytest.mark.parametrize("case", FIELD_CASES, ids=list(FIELD_CASES))
def test_field_problem(case):
    spec, where, fragments = FIELD_CASES[case]
    one_problem(spec, where, *fragments)


def test_several_problems_one_line_each():
    spec = net([conv(filters=0, kernel=1), conv(filters=2, kernel=0),
                {"type": "pool", "kernel": 2, "mode": "min"}])
    lines = problems(spec)
    assert len(lines) == 3
    assert lines[0].startswith("<spec>: layers[0] (conv): filters: ")
    assert lines[1].startswith("<spec>: layers[1] (conv): kernel: ")
    assert lines[2].startswith("<spec>: layers[2] (pool): mode: ")


# ---------------------------------------------------------------- input problems

@pytest.mark.parametrize("value, fragments", [
    ([4, 4, 4, 4, 3], ["4 spatial dimensions", "at most 3"]),
    ([2, 2, 2, 2, 2, 2], ["5 spatial dimensions"]),
    ([0, 3], [">= 1"]),
    ([], ["list of ints"]),
    ("32x32x3", ["list of ints"]),
    ([32, 32, "3"], ["list of ints"]),
    ([32, 32.0, 3], ["list of ints"]),
    ([32, True, 3], ["list of ints"]),
])
def test_bad_input(value, fragments):
    one_problem({"input": value, "layers": []}, "input", *fragments)


def test_missing_input():
    one_problem({"layers": [conv(filters=2, kernel=1)]}, "", 'missing required field "input"')


def test_missing_input_in_a_file(tmp_path):
    path = tmp_path / "noinput.yml"
    path.write_text("name: x\nlayers: []\n")
    one_problem(path, "", 'missing required field "input"', origin=str(path))


# ---------------------------------------------------------------- names

def test_duplicate_names():
    line = one_problem(net([conv(name="a", filters=2, kernel=1), conv(name="a", filters=2,
                                                                       kernel=1)]),
                       'layers[1] (conv "a")', 'duplicate name "a"', "layers[0]")
    assert line.count("\n") == 0


def test_duplicate_names_nested():
    one_problem(net([{"type": "residual", "name": "block", "body": [conv(name="x", filters=3,
                                                                         kernel=1)],
                      "shortcut": [conv(name="x", filters=3, kernel=1)]}]),
                'layers[0].shortcut[0] (conv "x")', 'duplicate name "x"', "layers[0].body[0]")


def test_duplicate_names_via_repeat_suffix():
    """A repeat's children are named `b_1`, `b_2`: an explicit `b_1` clashes."""
    one_problem(net([conv(name="b_1", filters=3, kernel=1),
                     {"type": "repeat", "times": 2, "layers": [conv(name="b", filters=3,
                                                                     kernel=1)]}]),
                'layers[1].layers[0] (conv "b")', 'duplicate name "b_1"', "layers[0]")


def test_duplicate_names_via_nested_repeat_suffix():
    one_problem(net([{"type": "repeat", "times": 2, "layers": [
                        {"type": "repeat", "times": 2, "layers": [conv(name="c", filters=3,
                                                                        kernel=1)]}]},
                     {"type": "activation", "name": "c_2_1", "function": "relu"}]),
                'layers[1] (activation "c_2_1")', 'duplicate name "c_2_1"')


def test_repeat_suffix_does_not_clash_with_itself():
    report = cnnshape.analyze(net([{"type": "repeat", "times": 3, "layers": [
        conv(name="b", filters=3, kernel=1)]}]))
    assert [row.name for row in report.rows] == ["input", "repeat_1", "b_1", "b_2", "b_3"]


# ---------------------------------------------------------------- malformed files

def test_malformed_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"input": [4, 3],\n "layers": [\n  {"type": "conv" "filters": 2}\n]}\n')
    one_problem(path, "", "invalid JSON", "line 3", origin=str(path))


def test_malformed_json_string():
    one_problem('{"input": [4, 3], "layers": [}', "", "invalid JSON", "line 1")


def test_json_duplicate_key(tmp_path):
    path = tmp_path / "dup.json"
    path.write_text('{"input": [4, 3], "input": [5, 3], "layers": []}')
    one_problem(path, "", "invalid JSON", '"input"', "twice", origin=str(path))


def test_syntax_is_told_by_content_and_json_can_be_forced(tmp_path):
    """A file is read by its content, whatever its name (YAML's flow style in a .json
    file reads as YAML); forced to JSON (the CLI's --format-in json) it is refused."""
    path = tmp_path / "flow.json"
    path.write_text("{input: [4, 3], layers: [{type: dense, units: 2}]}")
    assert cnnshape.analyze(path).totals.params == 3 * 2 + 2
    with pytest.raises(SpecError) as info:
        cnnshape.load(path, syntax="json")
    assert str(info.value).startswith(f"{path}: invalid JSON at line 1 column 2")


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_malformed_yaml(tmp_path, suffix):
    path = tmp_path / f"bad{suffix}"
    path.write_text("input: [4, 3]\nlayers:\n  - type: conv\n   filters: 2\n")
    one_problem(path, "", "invalid YAML", "line 4", origin=str(path))


def test_malformed_yaml_string():
    one_problem("input: [4, 3\nlayers: []\n", "", "invalid YAML")


def test_yaml_errors_name_the_layer(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("input: [8, 8, 3]\nlayers:\n  - {type: conv, filters: 2, kernel: 3}\n"
                    "  - {type: conv, name: CONV2, filters: 2, kernel: 7}\n")
    one_problem(path, 'layers[1] (conv "CONV2")', "kernel 7", "padded input 6", origin=str(path))


@pytest.mark.parametrize("text, fragment", [
    ("- 1\n- 2\n", "a list"),
    ("just text\n", "a string"),
    ("null\n", "empty"),
    ("", "empty"),
])
def test_not_an_object(tmp_path, text, fragment):
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    one_problem(path, "", "must be an object", fragment, origin=str(path))


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.json"
    one_problem(path, "", "no such file", origin=str(path))


def test_empty_string():
    one_problem("", "", "empty")


# ---------------------------------------------------------------- warnings

def test_warning_when_stride_does_not_divide():
    # height: (8 + 2*0 - 1*(3-1) - 1) = 5, 5 % 2 = 1; width: (9 - 2 - 1) = 6, 6 % 2 = 0
    report = cnnshape.analyze(net([conv(filters=2, kernel=3, stride=2)], (8, 9, 3)))
    assert tuple(report.output_shape) == ((8 - 3) // 2 + 1, (9 - 3) // 2 + 1, 2) == (3, 4, 2)
    assert len(report.warnings) == 1
    warning = report.warnings[0]
    assert warning.startswith('<spec>: layers[0] (conv "conv_1"): height: ')
    assert "(n+2p-d(k-1)-1) = 5" in warning and "stride 2" in warning
    assert report.rows[1].warnings and report.rows[1].warnings[0] in warning


def test_warning_with_padding_and_dilation():
    # 10 + 2*1 - 2*(3-1) - 1 = 7, 7 % 3 = 1
    report = cnnshape.analyze(net([conv(filters=2, kernel=3, stride=3, padding=1, dilation=2)],
                                  (10, 3)))
    assert len(report.warnings) == 1 and "= 7" in report.warnings[0]
    assert "length" in report.warnings[0]


def test_warning_for_pool():
    # 7 - 2 = 5 (the pool's k-1 is (2-1)): (7 + 0 - (2-1) - 1) = 5, 5 % 2 = 1
    report = cnnshape.analyze(net([{"type": "pool", "kernel": 2}], (7, 7, 1)))
    # one line for both dims, naming them
    assert len(report.warnings) == 1 and ": height, width: " in report.warnings[0]
    assert tuple(report.output_shape) == (3, 3, 1)


def test_warning_in_repetition_names_the_repetition():
    report = cnnshape.analyze(net([{"type": "repeat", "times": 2, "layers": [
        conv(name="c", filters=3, kernel=2, stride=2)]}], (6, 6, 3)))
    # first: (6 - 2) = 4, 4 % 2 = 0; second on 3: (3 - 2) = 1, 1 % 2 = 1 (one line, both dims)
    assert len(report.warnings) == 1
    assert all('(conv "c_2")' in w for w in report.warnings)


@pytest.mark.parametrize("spec", [
    # (9 - 3) = 6, 6 % 2 = 0
    net([conv(filters=2, kernel=3, stride=2)], (9, 9, 3)),
    # (8 + 2*1 - 3) = 7... with stride 1 everything divides
    net([conv(filters=2, kernel=3, padding=1)]),
    # "same" pads to ceil(n/s): nothing is dropped
    net([conv(filters=2, kernel=3, stride=2, padding="same")]),
    # (8 - 2) = 6, 6 % 2 = 0
    net([{"type": "pool", "kernel": 2}]),
    net([{"type": "pool", "kernel": 3, "stride": 2, "padding": "same"}]),
])
def test_no_warning_when_stride_divides(spec):
    assert cnnshape.analyze(spec).warnings == []


def test_shipped_specs_are_valid():
    for path in sorted(SPECS.glob("*.json")):
        cnnshape.analyze(path)
