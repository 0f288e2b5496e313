/**
 * On real nodes the tool offers to drive a test itself (a crash, a power cut). Enter alone must not
 * start one: the question's default is No, and a No leaves the test to the operator's checklist.
 */
import { describe, expect, it } from 'vitest';
import { FakePrompter } from '../../src/engine/prompts.js';
import type { Prompter } from '../../src/engine/types.js';
import { readState } from '../../src/state/store.js';
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
