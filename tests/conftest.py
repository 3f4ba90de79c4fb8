import os


def pytest_addoption(parser):
    parser.addoption("--fuzz-examples", type=int, default=None,
                     help="Hypothesis examples per property test (default 200, or the "
                          "CNNSHAPE_FUZZ_EXAMPLES environment variable).")


def pytest_configure(config):
    examples = config.getoption("--fuzz-examples")
    if examples is not None:
        os.environ["CNNSHAPE_FUZZ_EXAMPLES"] = str(examples)
