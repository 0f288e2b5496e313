#!/usr/bin/env node
// NOTE: thin launcher so the package bin works from a clone after `npm ci` (which runs `prepare` = build).
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

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

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'dist', 'cli.cjs');

/** Whether dist/cli.cjs was built after everything it holds (else dist/ was rebuilt by tsc alone since). */
function bundleFresh() {
  try {
    const built = statSync(bundle).mtimeMs;
    for (const input of ['dist/.tsbuildinfo', 'node_modules/.package-lock.json'])
      if (existsSync(join(root, input)) && statSync(join(root, input)).mtimeMs > built) return false;
    return true;
  } catch {
    return false;
  }
}

/**
 * Load the one-file CLI (src/build/bundle.ts says why) compiled from its V8 code cache, made by the
 * first run that finds none. NOTE: the cache is written at exit, so it holds what that run compiled
 * lazily too; written to a temporary name and renamed, as two runs may write it at once.
 */
function loadBundle() {
  const cacheFile = `${bundle}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = readFileSync(bundle, 'utf8');
  // NOTE: a script compiled from a code cache has no import() of its own in Node 20; the bundle
  // imports what it names only at run time through this one (src/util/import-at-run-time.ts).
  globalThis[Symbol.for('anvil-install.import')] = (specifier) => import(specifier);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  if (!cachedData || script.cachedDataRejected)
    process.once('exit', () => {
      try {
        const tmp = `${cacheFile}.${process.pid}`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // NOTE: a read-only install runs without the cache.
      }
    });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return module.exports;
}

(bundleFresh() ? Promise.resolve().then(loadBundle) : import('../dist/src/cli.js'))
  .then((m) => m.main(process.argv))
  .catch((e) => {
    console.error(`✖ ${e && e.message ? e.message : e}`);
    console.error('  hint: run `npm ci` (or `npm run build`) first so dist/ exists');
    process.exit(1);
  });
