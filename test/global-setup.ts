/**
 * Before any test file runs: build dist/ once, and make (or find) the checkpoints of one
 * uninterrupted lab install that the slow end-to-end files share.
 *
 * - dist/: a few tests drive the real CLI (`bin/anvil-install.js`) as a subprocess, and it must match
 *   the sources under test. Building here, once, keeps test files from rewriting dist/ while others
 *   load it.
 * - Checkpoints (`inject('checkpoints')`, see test/helpers/checkpoints.ts): the state folder (lab
 *   included) after each step from net-daemons on, made by one install that stops after each step.
 *   The kill campaign, `check`, `install --check` and the fence-fault tests each copy the one they
 *   start from instead of installing again. They are kept in the system's temp folder under a hash of
 *   everything the install runs (sources, steps, templates, answers, dependencies, node's version), so
 *   a second `npm test` on the same sources makes none; a changed source makes new ones.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { makeCheckpoints } from '../src/bench/kill-window.js';
import { bundleIfStale } from '../src/build/bundle.js';
import { STEPS } from '../steps/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The folder holding `cp-<step>` for each checkpointed step (test/helpers/checkpoints.ts). */
    checkpoints: string;
  }
}

/** The steps after which the shared install is checkpointed. */
export const CHECKPOINT_STEPS = STEPS.map((s) => s.id).slice(STEPS.findIndex((s) => s.id === 'net-daemons'));

/** `tsc -b tsconfig.json` (incremental), then the CLI bundle when dist/ changed. */
function build(): Promise<void> {
  // NOTE: incremental (tsconfig.json) in build mode: unchanged sources (after `npm ci`, whose `prepare`
  // built dist/ and its record, or a second run) cost under a second, where `tsc -p` spent 4-5 s
  // re-reading the program; a changed one is rebuilt as `tsc -p` would. The record lives in dist/, so a
  // removed dist/ is rebuilt whole.
  const tsc = ['node_modules/typescript/bin/tsc', '-b', 'tsconfig.json'];
  const p = spawn(process.execPath, tsc, { stdio: 'pipe' });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => p.kill('SIGKILL'), 300_000);
  return new Promise((res, rej) =>
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return rej(new Error(`tsc -b tsconfig.json failed before the tests:\n${out}`));
      // NOTE: the one-file CLI the tests' subprocesses start (src/build/bundle.ts), from that dist/.
      bundleIfStale().then(() => res(), rej);
    }),
  );
}

/** sha256 of every file under `dirs` (paths and contents) and of `files`. */
function sourceHash(dirs: string[], files: string[]): string {
  // NOTE: the state records the answers file by its absolute path: a set is this checkout's own.
  const h = createHash('sha256').update(`${process.version}\0${process.cwd()}\0`);
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
  for (const f of [...dirs.flatMap(walk), ...files]) h.update(`${f}\0`).update(readFileSync(f)).update('\0');
  return h.digest('hex').slice(0, 16);
}

/** The shared checkpoints: found under the hash of the sources, else made there now. */
async function checkpoints(): Promise<string> {
  const root = join(tmpdir(), 'anvil-test-checkpoints');
  mkdirSync(root, { recursive: true });
  const key = sourceHash(['src', 'steps', 'templates'], ['examples/tutorial.anvil.yaml', 'package-lock.json']);
  const dir = join(root, key);
  if (existsSync(join(dir, 'complete'))) return dir;
  // NOTE: made aside and renamed into place whole, so a run never sees half a set; another run that
  // made the same set first wins the rename.
  const work = mkdtempSync(join(root, `making-${key}-`));
  try {
    await makeCheckpoints(work, { ...process.env, CI: 'true' }, CHECKPOINT_STEPS);
    rmSync(join(work, 'chain'), { recursive: true, force: true });
    writeFileSync(join(work, 'complete'), `${new Date().toISOString()}\n`);
    try {
      renameSync(work, dir);
    } catch (e) {
      if (!existsSync(join(dir, 'complete'))) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // NOTE: sets of other sources, a day old, are another checkout's past: removed.
  for (const old of readdirSync(root))
    if (old !== key && Date.now() - statSync(join(root, old)).mtimeMs > 86_400_000)
      rmSync(join(root, old), { recursive: true, force: true });
  return dir;
}

export default async function setup(project: TestProject): Promise<void> {
  // NOTE: the install runs here in-process, from the sources, while tsc builds dist/ beside it.
  const [, dir] = await Promise.all([build(), checkpoints()]);
  project.provide('checkpoints', dir);
}
