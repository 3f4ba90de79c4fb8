import os

import pytest


def pytest_addoption(parser):
    parser.addoption("--fuzz-examples", type=int, default=None,
                     help="Hypothesis examples per property test (default 200, or the "
                          "CNNSHAPE_FUZZ_EXAMPLES environment variable).")


def pytest_configure(config):
    examples = config.getoption("--fuzz-examples")
    if examples is not None:
        os.environ["CNNSHAPE_FUZZ_EXAMPLES"] = str(examples)


@pytest.fixture(scope="session")
def verified():
    """cnnshape.verify(spec) at the default budget, computed once per spec for the whole
    session: several test files check the same zoo specs' reference pass (U-Net's alone
    takes about 10 s), each against its own independent numbers."""
    import functools
    from pathlib import Path

    from cnnshape.engine.reference import verify  # bound now: a test may patch the module

    @functools.cache
    def run(resolved):
        return verify(resolved)

    return lambda path: run(str(Path(path).resolve()))
