"""`scenelang lsp [--tcp HOST:PORT]`: run the language server (docs/lsp.md).

It speaks the Language Server Protocol over standard input and output (what editors start), or
listens on a TCP address with `--tcp`. It runs until the client sends `exit`. The server needs
the optional `lsp` extra (pygls); without it the command prints one line saying how to install
it and exits 2.
"""

from __future__ import annotations

import argparse

from scenelang.cli.console import console
from scenelang.cli.files import EXIT_OK, EXIT_USAGE

MISSING = "the language server needs pygls: pip install 'scenelang[lsp]'"


def tcp_address(text: str) -> tuple[str, int]:
    """`HOST:PORT` (`[::1]:PORT` for IPv6) -> (host, port), the port 1..65535."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT with a port 1..65535, got {text!r}")
    return host, int(port)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lsp", help="run the language server (for editors)",
                       description="Run the scenelang language server: diagnostics (as check "
                                   "prints them), hover, completion, go to definition, "
                                   "references, rename and formatting (as fmt prints). Speaks "
                                   "LSP over stdin/stdout unless --tcp is given. Needs the lsp "
                                   "extra: pip install 'scenelang[lsp]'.")
    p.add_argument("--tcp", metavar="HOST:PORT", type=tcp_address,
                   help="listen on this TCP address instead of stdio (e.g. 127.0.0.1:2087)")
    p.add_argument("--stdio", action="store_true", help="use stdin/stdout (the default; "
                   "accepted because some editors pass it)")
    p.set_defaults(func=cmd_lsp)


def cmd_lsp(args: argparse.Namespace) -> int:
    try:
        # pygls is the optional `lsp` extra, so it is imported only when the server starts
        import pygls  # noqa: F401
    except ImportError:
        console.error(MISSING)
        return EXIT_USAGE
    # the server layer imports pygls at module level: loaded only by this command
    from scenelang.lsp.server import serve

    serve(args.tcp)
    return EXIT_OK
