/**
 * The kill campaign over steps 9-20 (issue 15, points 3 and 7), the targeted seeds, as a suite a test
 * file runs for some of its steps (two files, so the suite's workers run them side by side): each seed
 * copies the shared install's checkpoint before its step (test/global-setup.ts), serves that lab by
 * its own process, SIGKILLs the wizard at the instant its driven test is hardest to resume from (a
 * named command on the journal) and resumes until the step is done. Then: every resume after a kill
 * finished; the end state equals the uninterrupted run's; no destructive command ran twice; no task,
 * test or gate ran more often than in the uninterrupted run plus the times it was interrupted; a second
 * resume runs nothing. The random seeds: test/bench/kill-seeds.test.ts here, all of them in
 * `npm run torture -- --windows`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { campaignFigures, TARGETED, type WindowResult } from '../../src/bench/kill-window.js';
import { expectRules, windowSeed } from './kill-rules.js';

/** The targeted seeds of `steps`, each a test; and a test that they kill in each of those steps. */
export function targetedSeeds(steps: string[]): void {
  let work: string;
  const results: WindowResult[] = [];
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'anvil-kill-campaign-'));
  });
  afterAll(() => {
    // NOTE: the campaign's figures, for the record (kills, steps hit, end states equal, re-runs).
    process.stdout.write(
      `kill campaign (targeted, ${steps.join(', ')}): ${JSON.stringify(campaignFigures(results))}\n`,
    );
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe(`kill campaign over steps 9-20: the targeted seeds of ${steps.join(', ')}`, () => {
    for (const t of TARGETED.filter((x) => steps.includes(x.step)))
      it(`resumes a test killed at its hardest instant: ${t.name}`, { timeout: 1_200_000 }, async () => {
        const r = await windowSeed(work, 1000 + TARGETED.indexOf(t), t.step, t.killAt);
        results.push(r);
        expect(r.kills.map((k) => k.step)).toEqual(t.killAt.map(() => t.step));
        expect(r.kills.every((k) => k.interrupted.length > 0)).toBe(true);
        expectRules(r, t.killAt.length);
      });

    it(`the targeted seeds hit every driven test of ${steps.join(', ')}`, () => {
      expect([...new Set(results.flatMap((r) => r.kills.map((k) => k.step)))].sort()).toEqual([...steps].sort());
    });
  });
}
