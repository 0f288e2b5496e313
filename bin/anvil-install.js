#!/usr/bin/env node
// NOTE: thin launcher so the package bin works from a clone after `npm ci` (which runs `prepare` = tsc).

// NOTE: Ctrl-C or SIGTERM while the modules load (no command has started: no lock is held, nothing
// ran) or during a command that holds no state folder exits 130 with a word, not 143 in silence. A
// command that holds one installs its own handler (interrupt.ts, lab.ts) and this one stands aside.
const early = (signal) => {
  if (process.listenerCount(signal) > 1) return;
  process.stderr.write(`✖ interrupted (${signal})\n`);
  process.exit(130);
};
process.on('SIGINT', early);
process.on('SIGTERM', early);

import('../dist/src/cli.js')
  .then((m) => m.main(process.argv))
  .catch((e) => {
    console.error(`✖ ${e && e.message ? e.message : e}`);
    console.error('  hint: run `npm ci` (or `npm run build`) first so dist/ exists');
    process.exit(1);
  });
