#!/usr/bin/env node
import { main } from '../src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // The TUI leaves timers behind on purpose-built exits; do not wait for them.
    if (code !== undefined) setImmediate(() => process.exit(code));
  },
  (err: Error) => {
    process.stderr.write(`oncall: ${err.stack ?? err.message}\n`);
    process.exit(70);
  },
);
