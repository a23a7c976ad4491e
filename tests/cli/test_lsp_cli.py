"""`scenelang lsp`'s arguments (the server itself: tests/lsp/)."""

from __future__ import annotations

import argparse

import pytest

from scenelang.cli.lsp import tcp_address
from scenelang.cli.main import build_parser, main


def test_tcp_addresses_parse_or_are_usage_errors(capsys):
    assert tcp_address("127.0.0.1:2087") == ("127.0.0.1", 2087)
    assert tcp_address("[::1]:9") == ("::1", 9)
    assert tcp_address("localhost:65535") == ("localhost", 65535)
    for bad in ("2087", "host:", "host:0", "host:65536", ":80", "host:http"):
        with pytest.raises(argparse.ArgumentTypeError, match="HOST:PORT"):
            tcp_address(bad)
    with pytest.raises(SystemExit) as usage:
        main(["lsp", "--tcp", "nowhere"])
    assert usage.value.code == 2 and "expected HOST:PORT" in capsys.readouterr().err


def test_stdio_is_the_default_and_may_be_named():
    parser = build_parser()
    assert parser.parse_args(["lsp"]).tcp is None
    assert parser.parse_args(["lsp", "--stdio"]).tcp is None
