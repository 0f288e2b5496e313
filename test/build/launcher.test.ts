/**
 * bin/anvil-install.js: the one-file CLI (dist/cli.cjs, src/build/bundle.ts) when it is newer than
 * what it was made from, else the modules of dist/src; the bundle's V8 code cache made by the first
 * run and used by the next; a module named at run time imported through the launcher's import().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli-process.js';
import { BUNDLE } from '../../src/build/bundle.js';

let pkg: string;
beforeAll(() => {
  pkg = mkdtempSync(join(tmpdir(), 'anvil-launcher-'));
  mkdirSync(join(pkg, 'bin'));
  mkdirSync(join(pkg, 'dist', 'src'), { recursive: true });
  cpSync(join(ROOT, 'bin', 'anvil-install.js'), join(pkg, 'bin', 'anvil-install.js'));
  writeFileSync(join(pkg, 'package.json'), '{"type":"module"}\n');
  writeFileSync(join(pkg, 'dist', 'src', 'cli.js'), "export function main() { console.log('modules'); }\n");
  writeFileSync(join(pkg, 'world.mjs'), "export const where = 'imported at run time';\n");
  // NOTE: as the bundle's src/util/import-at-run-time.ts does: the launcher's import(), by its symbol.
  writeFileSync(
    join(pkg, 'dist', 'cli.cjs'),
    "exports.main = async () => { const m = await globalThis[Symbol.for('anvil-install.import')](require('node:url').pathToFileURL(process.env.WORLD).href); console.log('bundle', m.where); };\n",
  );
  writeFileSync(join(pkg, 'dist', '.tsbuildinfo'), '{}\n');
});
afterAll(() => rmSync(pkg, { recursive: true, force: true }));

const run = () => {
  const r = spawnSync(process.execPath, [join(pkg, 'bin', 'anvil-install.js')], {
    env: { ...process.env, WORLD: join(pkg, 'world.mjs') },
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  return r.stdout.trim();
};
const age = (file: string, secondsAgo: number) => {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(join(pkg, file), t, t);
};

describe('the launcher', () => {
  it('runs the bundle when it is newer than dist/, from its code cache after the first run', () => {
    age('dist/.tsbuildinfo', 60);
    age('dist/cli.cjs', 30);
    const cache = join(pkg, 'dist', 'cli.cjs.cache');
    expect(existsSync(cache)).toBe(false);
    expect(run()).toBe('bundle imported at run time');
    expect(readFileSync(cache).length).toBeGreaterThan(0);
    const made = readFileSync(cache);
    expect(run()).toBe('bundle imported at run time');
    // NOTE: an accepted cache is not written again.
    expect(readFileSync(cache).equals(made)).toBe(true);
  });

  it('runs the modules of dist/src when dist/ was rebuilt after the bundle (tsc alone)', () => {
    age('dist/cli.cjs', 60);
    age('dist/.tsbuildinfo', 30);
    expect(run()).toBe('modules');
  });

  it('runs the modules of dist/src when there is no bundle', () => {
    rmSync(join(pkg, 'dist', 'cli.cjs'));
    expect(run()).toBe('modules');
  });
});

describe('the bundle npm run build made', () => {
  it('is in step with dist/ and imports nothing by itself at run time', () => {
    const built = statSync(BUNDLE).mtimeMs;
    expect(built).toBeGreaterThanOrEqual(statSync(join(ROOT, 'dist', '.tsbuildinfo')).mtimeMs);
    const bundle = readFileSync(BUNDLE, 'utf8');
    // NOTE: a script compiled from a code cache has no import() in Node 20 (import-at-run-time.ts).
    const calls = bundle.split('\n').filter((l) => /[^\w.$]import\(/.test(l) && !/^\s*(\/\/|\*)/.test(l));
    expect(calls).toEqual(['  return lent ? lent(specifier) : import(specifier);']);
  });
});
