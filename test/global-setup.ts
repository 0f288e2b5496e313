/**
 * Build dist/ once before any test file runs: a few tests drive the real CLI (`bin/anvil-install.js`)
 * as a subprocess, and it must match the sources under test. Building here, once, keeps test files
 * from rewriting dist/ while others load it.
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  // NOTE: incremental: a build of unchanged sources costs a quarter of a full one (6 s of CPU, not 22);
  // its record lives in dist/, so a removed dist/ is rebuilt whole.
  const tsc = ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--incremental'];
  const r = spawnSync(process.execPath, [...tsc, '--tsBuildInfoFile', 'dist/.tsbuildinfo'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`tsc -p tsconfig.json failed before the tests:\n${r.stdout}${r.stderr}`);
}
