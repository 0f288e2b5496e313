#!/usr/bin/env node
// NOTE: thin launcher so the package bin works from a clone after `npm ci` (which runs `prepare` = tsc).
import('../dist/src/cli.js')
  .then((m) => m.main(process.argv))
  .catch((e) => {
    console.error(`✖ ${e && e.message ? e.message : e}`);
    console.error('  hint: run `npm ci` (or `npm run build`) first so dist/ exists');
    process.exit(1);
  });
