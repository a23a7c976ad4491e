"""The editor set-ups in docs/lsp.md (Neovim, Helix, Emacs) start the server the other LSP
tests drive and claim the right files (issue 15: every documented claim has a test).

Neovim, Helix and Emacs are not installed here, so each snippet is read from the page and
checked for what it tells its editor: the command (`scenelang lsp`, run here over stdio up to
the `initialize` answer), the language id `scenelang`, and the file names `*.sl` and `*.slp`
(Helix's TOML parsed with tomllib, Emacs's `auto-mode-alist` regex translated and matched)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "lsp.md").read_text(encoding="utf-8")


def _block(language: str, after: str) -> str:
    start = PAGE.index(after)
    match = re.search(rf"```{language}\n(.*?)```", PAGE[start:], re.S)
    assert match, f"no {language} block after {after!r}"
    return match.group(1)


def _initialize(command: list[str]) -> dict:
    """Start `command` (with the venv's scenelang) and read its answer to `initialize`."""
    executable = Path(sys.executable).parent / command[0]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"processId": None, "rootUri": None, "capabilities": {}}})
    message = f"Content-Length: {len(body)}\r\n\r\n{body}".encode()
    proc = subprocess.Popen([str(executable), *command[1:]], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdin.write(message)
        proc.stdin.flush()
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            header += proc.stdout.read(1)
        length = int(re.search(rb"Content-Length: (\d+)", header).group(1))
        return json.loads(proc.stdout.read(length))
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_neovim_snippet_runs_scenelang_lsp_for_sl_and_slp_files():
    lua = _block("lua", "## Neovim")
    cmd = re.search(r'cmd = \{ "([^"]+)", "([^"]+)" \}', lua).groups()
    assert list(cmd) == ["scenelang", "lsp"]
    assert 'extension = { sl = "scenelang", slp = "scenelang" }' in lua
    assert 'filetypes = { "scenelang" }' in lua
    answer = _initialize(list(cmd))
    assert answer["id"] == 1 and answer["result"]["capabilities"]["renameProvider"]


def test_helix_snippet_is_valid_toml_with_the_same_command_and_files():
    config = tomllib.loads(_block("toml", "## Helix"))
    server = config["language-server"]["scenelang"]
    assert [server["command"], *server["args"]] == ["scenelang", "lsp"]
    language = config["language"][0]
    assert language["name"] == "scenelang" and language["file-types"] == ["sl", "slp"]
    assert language["language-servers"] == ["scenelang"]


def test_emacs_snippet_claims_sl_and_slp_files_and_starts_scenelang_lsp():
    elisp = _block("elisp", "## Other editors")
    emacs_regex = re.search(r"'\(\"(.+?)\" \. scenelang-mode\)", elisp).group(1)
    python_regex = emacs_regex.replace("\\\\", "\\").replace("\\'", "$")
    for name, claimed in (("a.sl", True), ("b.slp", True), ("c.sla", False), ("d.sl.txt", False)):
        assert bool(re.search(python_regex, name)) is claimed, (python_regex, name)
    assert "'(scenelang-mode \"scenelang\" \"lsp\")" in elisp
