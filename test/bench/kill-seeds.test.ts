/**
 * The kill campaign over steps 9-20, random seeds on the steps whose tasks are destructive (parted,
 * create-md and new-current-uuid, mkfs.gfs2, virt-install). Each kills at commands its seed names on a
 * node (`namedKills`): the same instants on every run, as the targeted seeds do. The rules are those
 * of test/bench/kill-campaign.test.ts. The campaign's long list, whose seeds kill at random journal
 * lines, runs in `npm run torture -- --windows`; this file checks that list's coverage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEPS } from '../../steps/index.js';
import {
  campaignFigures,
  KNOWN_DEFECTS,
  namedKills,
  TARGETED,
  WINDOW_SEEDS,
  type WindowResult,
} from '../../src/bench/kill-window.js';
import { checkpoint } from '../helpers/checkpoints.js';
import { expectRules, windowSeed } from './kill-rules.js';

const IDS = STEPS.map((s) => s.id);
/** The seeds `npm test` runs, one per destructive step but clvm (seed 203 kills in clvm in the torture). */
const NAMED: { seed: number; step: string }[] = [
  { seed: 104, step: 'drbd-partitions' },
  { seed: 105, step: 'drbd-config' },
  { seed: 204, step: 'gfs2' },
  { seed: 109, step: 'vm-provision' },
];

let work: string;
const results: WindowResult[] = [];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'anvil-kill-seeds-'));
});
afterAll(() => {
  process.stdout.write(`kill campaign (named seeds): ${JSON.stringify(campaignFigures(results))}\n`);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('kill campaign over steps 9-20: seeds that kill at named commands', () => {
  for (const { seed, step } of NAMED)
    it(`seed ${seed}: killed after commands it names in ${step}, resumed`, { timeout: 600_000 }, async () => {
      const killAt = namedKills(seed, checkpoint(IDS[IDS.indexOf(step) - 1]), checkpoint(step));
      expect(killAt.length, 'the seed names a command to kill at').toBeGreaterThan(0);
      expect(killAt.every((k) => 'cmd' in k && k.node)).toBe(true);
      const r = await windowSeed(work, seed, step, killAt);
      results.push(r);
      expect(r.kills.map((k) => k.step)).toEqual(killAt.map(() => step));
      expectRules(r, killAt.length);
    });

  it('names the same commands on every run: the plan is read from the uninterrupted run', () => {
    const step = 'drbd-config';
    const args = [105, checkpoint('drbd-partitions'), checkpoint(step)] as const;
    const plan = namedKills(...args);
    expect(plan).toEqual(namedKills(...args));
    expect(plan.map((k) => ('cmd' in k ? k.cmd.source : ''))).not.toContain('');
  });

  it("the torture's list: every step 9-20 killed in, destructive steps twice, its known defects in it", () => {
    const steps = [...WINDOW_SEEDS.map((s) => s.step), ...TARGETED.map((t) => t.step)];
    expect(IDS.slice(8).filter((s) => !steps.includes(s))).toEqual([]);
    for (const s of ['drbd-partitions', 'drbd-config', 'clvm', 'gfs2', 'storage-services', 'vm-provision'])
      expect(WINDOW_SEEDS.filter((x) => x.step === s).length, s).toBe(2);
    expect(WINDOW_SEEDS.length + TARGETED.length).toBeGreaterThanOrEqual(20);
    const seeds = WINDOW_SEEDS.map((s) => s.seed);
    expect(new Set(seeds).size).toBe(seeds.length);
    for (const d of Object.keys(KNOWN_DEFECTS).map(Number)) expect(seeds).toContain(d);
    // NOTE: npm test's own seeds are not the known defects.
    expect(NAMED.map((s) => s.seed).filter((s) => KNOWN_DEFECTS[s])).toEqual([]);
  });
});
