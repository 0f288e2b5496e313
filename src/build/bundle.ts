/**
 * `npm run build`, after `tsc -b`: the CLI as one CommonJS file, `dist/cli.cjs`, which
 * `bin/anvil-install.js` loads with a V8 code cache (`dist/cli.cjs.cache`).
 *
 * Why: a start of the CLI spent ~0.45 s of CPU before doing anything, most of it finding, reading and
 * compiling some 450 module files (ours, zod, yaml, diff, commander, listr2). The test suite starts
 * the CLI ~120 times and the kill campaign hundreds; an operator pays it on every command. One file
 * compiled from a cache costs a fraction of that. Node 20 has no compile cache of its own
 * (`module.enableCompileCache` came in Node 22), and a code cache needs a script, not ES modules.
 *
 * The bundle is an optimisation only: without it (no esbuild, or dist/ rebuilt by `tsc` alone since),
 * the launcher imports `dist/src/cli.js` as before.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../paths.js';

/** Where the bundle and its code cache live. */
export const BUNDLE = join(ROOT, 'dist', 'cli.cjs');

/**
 * Packages left to Node's own `require` from node_modules: ssh2 loads a native addon by a path of its
 * own (and cpu-features with it), which a bundle would break.
 */
const EXTERNAL = ['ssh2', 'cpu-features', '*.node'];

/** Write dist/cli.cjs from dist/src/cli.js; returns false (and says why) when esbuild is absent. */
export async function bundle(): Promise<boolean> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    process.stderr.write('bundle: esbuild is not installed; the CLI runs from dist/src (slower to start)\n');
    return false;
  }
  const entry = join(ROOT, 'dist', 'src', 'cli.js');
  if (!existsSync(entry)) throw new Error(`bundle: ${entry} is missing: run tsc -b tsconfig.json first`);
  // NOTE: the old cache belongs to the old bundle: V8 would reject it, but a start should not pay that.
  rmSync(`${BUNDLE}.cache`, { force: true });
  await esbuild.build({
    entryPoints: [entry],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    // NOTE: ES modules find their files through import.meta.url (paths.ts walks up to the package
    // root): in the bundle, that is the bundle's own URL, inside dist/ as the modules were.
    define: { 'import.meta.url': '__anvilBundleUrl' },
    banner: { js: "const __anvilBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'error',
    legalComments: 'none',
  });
  return true;
}

/** What the bundle is made from; newer than the bundle, it is stale (bin/anvil-install.js checks the same). */
const INPUTS = ['dist/.tsbuildinfo', 'node_modules/.package-lock.json'];

/** Bundle again when dist/ or the installed packages changed since the bundle was made. */
export async function bundleIfStale(): Promise<boolean> {
  const built = existsSync(BUNDLE) ? statSync(BUNDLE).mtimeMs : -1;
  const stale = INPUTS.some((f) => existsSync(join(ROOT, f)) && statSync(join(ROOT, f)).mtimeMs > built);
  return stale ? bundle() : true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  bundle().catch((e: Error) => {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  });
}
