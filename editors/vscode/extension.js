// scenelang for VS Code: the language (.sl files), its TextMate grammar, and a client that starts
// `scenelang lsp` over stdio for diagnostics, hover, completion, go to definition, references,
// rename and formatting. The command is the setting `scenelang.server.command` (default
// ["scenelang", "lsp"]; point it at a virtualenv's `bin/scenelang` if it is not on PATH).
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('scenelang');
  const [command, ...args] = config.get('server.command', ['scenelang', 'lsp']);
  const server = { command, args, transport: TransportKind.stdio };
  const options = {
    documentSelector: [
      { scheme: 'file', language: 'scenelang' },
      { scheme: 'untitled', language: 'scenelang' },
    ],
  };
  client = new LanguageClient('scenelang', 'scenelang language server', server, options);
  client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `scenelang: cannot start the language server with "${[command, ...args].join(' ')}" ` +
      `(${error.message}). Install it with pip install 'scenelang[lsp]' or set ` +
      'scenelang.server.command.');
  });
  context.subscriptions.push({ dispose: () => (client ? client.stop() : undefined) });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
