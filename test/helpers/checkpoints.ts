/**
 * The shared install's checkpoints (made once per run, or found, by test/global-setup.ts): the state
 * folder, lab included, after each step from net-daemons on. A test never works in them: it copies the
 * one it starts from into its own folder (`copyCheckpoint`), or only reads one as a reference.
 */
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Checkpoint } from '../../src/bench/kill-window.js';

/** The checkpoint after `step` (read only). */
export function checkpoint(step: string): Checkpoint {
  const dir = join(inject('checkpoints'), `cp-${step}`);
  if (!existsSync(join(dir, 'state.json'))) throw new Error(`no shared checkpoint after ${step} (${dir})`);
  return { step, dir };
}

/** A copy of the checkpoint after `step` at `to` (a state folder of the test's own); returns `to`. */
export function copyCheckpoint(step: string, to: string): string {
  cpSync(checkpoint(step).dir, to, { recursive: true });
  return to;
}
