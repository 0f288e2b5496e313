/**
 * The kill campaign over steps 9-20 (issue 15, points 3 and 7): one uninterrupted install is
 * checkpointed after each step from step 8 on; each seed copies the checkpoint before its step, serves
 * that lab by its own process, SIGKILLs the wizard at a random remote action of the step (or at a
 * chosen instant of a driven test) and resumes until the step is done. Then: every resume after a kill
 * finished; the end state equals the uninterrupted run's; no destructive command ran twice; no task,
 * test or gate ran more often than in the uninterrupted run plus the times it was interrupted; a second
 * resume runs nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEPS } from '../../steps/index.js';
import {
  campaignFigures,
  makeCheckpoints,
  runWindowSeed,
  TARGETED,
  type Checkpoint,
  type KillAt,
  type WindowResult,
} from '../../src/bench/kill-window.js';

const env = { ...process.env, CI: 'true' };
// NOTE: step 8 (packages) is the first checkpoint; seeds kill in steps 9-20.
const IDS = STEPS.map((s) => s.id);
const WINDOW_STEPS = IDS.slice(8);
/** Random seeds: one per step, two on the steps whose tasks are destructive. */
const RANDOM: { seed: number; step: string }[] = [
  ...WINDOW_STEPS.filter((s) => s !== 'net-tests' && s !== 'acceptance').map((step, i) => ({ seed: 101 + i, step })),
  ...['drbd-partitions', 'drbd-config', 'clvm', 'gfs2', 'storage-services', 'vm-provision'].map((step, i) => ({
    seed: 201 + i,
    step,
  })),
];

/**
 * Seeds that found a defect not fixed yet: skipped here with the defect named, run by
 * `npm run torture -- --windows`. None today (seeds 107 and 202 found a completion lost to coalesced
 * checkpoint writes; fixed, see test/engine/durable-before-acting.test.ts).
 */
const KNOWN_DEFECT: Record<number, string> = {};

let work: string;
const cps = new Map<string, Checkpoint>();
const results: WindowResult[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'anvil-kill-campaign-'));
  for (const cp of await makeCheckpoints(work, env, IDS.slice(7))) cps.set(cp.step, cp);
}, 1_800_000);
afterAll(() => {
  // NOTE: the campaign's figures, for the record (kills, steps hit, end states equal, re-runs).
  process.stdout.write(`kill campaign: ${JSON.stringify(campaignFigures(results))}\n`);
  if (work) rmSync(work, { recursive: true, force: true });
});

async function seed(n: number, step: string, killAt?: KillAt[]): Promise<WindowResult> {
  const from = cps.get(IDS[IDS.indexOf(step) - 1]);
  const to = cps.get(step);
  expect(from && to, 'the uninterrupted run made its checkpoints').toBeTruthy();
  const r = await runWindowSeed({ seed: n, from: from!, to: to!, work, env, killAt });
  results.push(r);
  return r;
}

/** Every rule of a seed, with what broke it in the message. */
function expectRules(r: WindowResult, kills: number): void {
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

describe('kill campaign over steps 9-20', () => {
  for (const t of TARGETED)
    it(`resumes a test killed at its hardest instant: ${t.name}`, { timeout: 1_200_000 }, async () => {
      const r = await seed(1000 + TARGETED.indexOf(t), t.step, t.killAt);
      expect(r.kills.map((k) => k.step)).toEqual(t.killAt.map(() => t.step));
      expect(r.kills.every((k) => k.interrupted.length > 0)).toBe(true);
      expectRules(r, t.killAt.length);
    });

  for (const { seed: n, step } of RANDOM)
    (KNOWN_DEFECT[n] ? it.skip : it)(
      `seed ${n}: killed at random remote actions of ${step}, resumed${KNOWN_DEFECT[n] ? ` (skipped: ${KNOWN_DEFECT[n]})` : ''}`,
      { timeout: 600_000 },
      async () => {
        const r = await seed(n, step);
        expectRules(r, r.kills.length);
        expect(r.kills.length).toBeGreaterThan(0);
      },
    );

  it('covers at least 20 seeds and every step from 9 to 20', () => {
    expect(results.length).toBeGreaterThanOrEqual(20);
    const hit = new Set(results.flatMap((r) => r.kills.map((k) => k.step)));
    expect([...WINDOW_STEPS].filter((s) => !hit.has(s))).toEqual([]);
  });
});
