/** What the kill campaign's test files share: one seed from the shared checkpoints, and its rules. */
import { expect } from 'vitest';
import { STEPS } from '../../steps/index.js';
import { runWindowSeed, type KillAt, type WindowResult } from '../../src/bench/kill-window.js';
import { checkpoint } from '../helpers/checkpoints.js';

const IDS = STEPS.map((s) => s.id);
const env = { ...process.env, CI: 'true' };

/** One seed of `step`'s window in `work`, from the shared checkpoints; `killAt` as runWindowSeed takes it. */
export async function windowSeed(work: string, seed: number, step: string, killAt?: KillAt[]): Promise<WindowResult> {
  const from = checkpoint(IDS[IDS.indexOf(step) - 1]);
  const to = checkpoint(step);
  return runWindowSeed({ seed, from, to, work, env, ...(killAt ? { killAt } : {}) });
}

/** Every rule of a seed, with what broke it in the message. */
export function expectRules(r: WindowResult, kills: number): void {
  const why = JSON.stringify(r, null, 1);
  expect(r.kills.length, `kills that landed: ${why}`).toBe(kills);
  expect(r.failedResumes, 'every resume after a kill finished').toEqual([]);
  expect(r.finished, why).toBe(true);
  expect(r.endStateDiffers, 'end state equal to the uninterrupted run').toEqual([]);
  expect(r.repeatedDestructive, 'no destructive command twice').toEqual({});
  expect(r.gatesRerunBeyondInterrupted, 'no test or gate run more than uninterrupted + interrupted').toEqual([]);
  expect(r.rerunBeyondInterrupted, 'no task run more than uninterrupted + interrupted').toEqual([]);
  expect(r.secondResumeRan, 'a second resume runs nothing').toEqual([]);
}
