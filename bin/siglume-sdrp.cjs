#!/usr/bin/env node
// Both bin names (siglume-sdrp, siglume-check) run this one program. CommonJS
// on purpose: `--help` / `--version` are answered from one small CommonJS file
// without starting the ES module loader; every other command loads the CLI
// (an ES module) and only the modules its command needs.
'use strict';
const argv = process.argv.slice(2);
const fast = require('../dist/cli-fast.cjs').answerFast(argv, process.argv[1]);
if (fast !== null) {
  process.exitCode = fast;
} else {
  import('../dist/cli.js')
    .then((cli) => cli.run(argv))
    .then((code) => {
      process.exitCode = code;
    });
}
