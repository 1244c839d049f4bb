#!/usr/bin/env node
// Both bin names (siglume-sdrp, siglume-check) run this one program. CommonJS
// on purpose: `--help` / `--version` are answered from one small CommonJS file
// without starting the ES module loader; every other command loads the CLI
// (an ES module) and only the modules its command needs.
'use strict';
const argv = process.argv.slice(2);

// dist/ is missing or half-built (an interrupted install or build): one line, not a module-loader stack.
// The CLI itself never rejects (it maps every error to an exit code), so a rejection here is a load failure.
function broken(error) {
  const why = (error && (error.code || error.message)) || String(error);
  process.stderr.write(`error: the CLI of @siglume/direct-request-payment is missing or broken in its dist/ (${why}); reinstall the package\n`);
  if (process.env.SIGLUME_DEBUG && error && error.stack) process.stderr.write(`${error.stack}\n`);
  return 1;
}

let fast;
try {
  fast = require('../dist/cli-fast.cjs').answerFast(argv, process.argv[1]);
} catch (error) {
  fast = broken(error);
}
if (fast !== null) {
  process.exitCode = fast;
} else {
  import('../dist/cli.js')
    .then((cli) => cli.run(argv))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error) => {
        process.exitCode = broken(error);
      },
    );
}
