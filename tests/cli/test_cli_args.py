import argparse

import pytest

from scenelang.cli.args import positive_float, positive_int


def test_positive_int():
    assert positive_int("3") == 3
    for bad in ("0", "-1", "2.5", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_int(bad)


def test_positive_float():
    assert positive_float("0.5") == 0.5
    for bad in ("0", "-1", "nan", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            positive_float(bad)
