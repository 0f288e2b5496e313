/**
 * On real nodes the tool offers to drive a test itself (a crash, a power cut). Enter alone must not
 * start one: the question's default is No, and a No leaves the test to the operator's checklist. A
 * test the tool drove is then read back by the task's verify, as one the operator ran would be.
 */
import { describe, expect, it } from 'vitest';
import { FakePrompter } from '../../src/engine/prompts.js';
import type { Prompter } from '../../src/engine/types.js';
import { readState } from '../../src/state/store.js';
import { labHands } from '../../src/engine/hands.js';
import { VerifyFailed } from '../../src/errors.js';
import { APPROVE, makeWorld, runIn, syntheticSteps, tempDir } from '../helpers/synthetic-steps.js';

describe('the offer to drive a test on real nodes', () => {
  it('defaults to No; taking the default runs the checklist, never the drive', async () => {
    const steps = syntheticSteps();
    const gate = steps.flatMap((s) => s.tasks).find((t) => t.id === 'check.failover')!;
    let driven = 0;
    gate.gate = { ...gate.gate!, drive: async () => ((driven += 1), { summary: 'driven' }) };
    const fake = new FakePrompter({ ...APPROVE, 'cable pulled': true, 'failover seen': true });
    const defaults: (boolean | undefined)[] = [];
    const prompter: Prompter = {
      input: fake.input.bind(fake),
      select: fake.select.bind(fake),
      confirm: async (message, def) => {
        if (!message.includes('Run it now?')) return fake.confirm(message);
        defaults.push(def);
        return def ?? false;
      },
    };
    const w = makeWorld();
    const dir = tempDir();
    const r = await runIn(dir, { transports: w.transports, prompter, steps });
    expect(r.outcome).toBe('complete');
    expect(defaults).toEqual([false]);
    expect(driven).toBe(0);
    expect(readState(dir)!.tasks['check.failover']['kvm-a']).toMatchObject({
      status: 'done',
      evidence: { summary: 'operator confirmed 2 items' },
    });
  });
});

describe('a test the tool drove itself', () => {
  const drivenRun = async (verify: () => Promise<{ summary: string }>) => {
    const steps = syntheticSteps();
    const gate = steps.flatMap((s) => s.tasks).find((t) => t.id === 'check.failover')!;
    gate.gate = { ...gate.gate!, drive: async () => ({ summary: 'driven', details: { seen: 'failover' } }) };
    gate.verify = verify;
    const w = makeWorld();
    const dir = tempDir();
    const r = await runIn(dir, {
      transports: w.transports,
      prompter: new FakePrompter(APPROVE),
      steps,
      hands: labHands(async () => {}),
    });
    return { r, rec: readState(dir)!.tasks['check.failover']['kvm-a'] };
  };

  it("is read back by the task's verify after the drive, and both say what they saw", async () => {
    let verified = 0;
    const { r, rec } = await drivenRun(async () => ((verified += 1), { summary: 'failover in syslog' }));
    expect(r.outcome).toBe('complete');
    expect(verified).toBe(1);
    expect(rec).toMatchObject({
      status: 'done',
      evidence: { summary: 'driven; failover in syslog', details: { seen: 'failover' } },
    });
  });

  it('fails when its verify does not find what the drive reported', async () => {
    const { r, rec } = await drivenRun(async () => {
      throw new VerifyFailed('check.failover', 'kvm-a', 'a failover in syslog', 'no bonding lines');
    });
    expect(r.outcome).toBe('failed');
    expect(rec.status).toBe('failed');
  });
});
