// Validate glTF files with the Khronos glTF validator (npm `gltf-validator`, installed by make
// from the root package.json): `node tests/backends/gltf_validate.mjs FILE...` prints one JSON
// object, {FILE: report}, each report as validateBytes returns it (issues.numErrors, messages).
// Exit code 0 when every file was validated (whatever the issues), 2 on a usage or read error.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import validator from "gltf-validator";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node gltf_validate.mjs FILE.glb|FILE.gltf...");
  process.exit(2);
}
const reports = {};
try {
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(file));
    reports[file] = await validator.validateBytes(bytes, {
      uri: basename(file),
      maxIssues: 50,
      // a .gltf embeds its buffer; nothing external is read
      externalResourceFunction: (uri) => Promise.reject(new Error(`external resource ${uri}`)),
    });
  }
} catch (error) {
  console.error(String(error));
  process.exit(2);
}
console.log(JSON.stringify(reports));
