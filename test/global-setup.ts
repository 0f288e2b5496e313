/**
 * Build dist/ once before any test file runs: a few tests drive the real CLI (`bin/anvil-install.js`)
 * as a subprocess, and it must match the sources under test. Building here, once, keeps test files
 * from rewriting dist/ while others load it.
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.json failed before the tests:\n${r.stdout}${r.stderr}`);
}
