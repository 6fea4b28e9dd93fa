#!/usr/bin/env node
// The `arbiter` command. tsx compiles the TypeScript CLI as it loads, so there is no build step.
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS launcher: tsx must hook require before the .ts loads */
require('tsx/cjs');
const { runCli } = require('../cli/main.ts');

// A bug rejects, and Node prints it with its stack and exits 1; user mistakes resolve to a code.
void runCli(process.argv.slice(2)).then((code) => {
  // exitCode rather than exit(): output still being written to a pipe is not cut off.
  process.exitCode = code;
});
