/** install's re-check of done tasks: a drift only hands can mend is reported, never offered to re-apply. */
import { describe, expect, it } from 'vitest';
import { checkRun, driftAction, driftLine } from '../../src/engine/dry-run.js';
import { VerifyFailed } from '../../src/errors.js';
import type { Task, TaskContext } from '../../src/engine/types.js';

const cable = { key: 'link n1 eth0', text: 'n1 eth0 (BCN link 1) has no link', hardware: true };
const task = (causes: { key: string; text: string; hardware?: boolean }[]): Task => ({
  id: 'net.restart',
  title: 'restart',
  on: 'both',
  kind: 'safe',
  verify: async () => {
    throw new VerifyFailed('net.restart', 'n1', 'both links up', 'bond0: slave eth0 MII down', causes);
  },
});

describe('a drifted safe task', () => {
  it('with a hardware cause is reported (fix by hand), not re-applied', async () => {
    const t = task([cable]);
    const r = await checkRun(t, 'n1', {} as TaskContext, [], true);
    expect(r.hardware).toBe('n1 eth0 (BCN link 1) has no link');
    const a = driftAction(t, undefined, r.hardware);
    expect(a).toEqual({ action: 'report', why: 'hardware to fix by hand: n1 eth0 (BCN link 1) has no link' });
    expect(driftLine({ task: t.id, key: 'n1', detail: r.detail, ...a })).toContain(
      'reported only (hardware to fix by hand: n1 eth0 (BCN link 1) has no link)',
    );
  });

  it('with another cause (or none named) is offered again', async () => {
    for (const causes of [[], [{ key: 'x', text: 'x' }], [cable, { key: 'x', text: 'x' }]]) {
      const t = task(causes);
      const r = await checkRun(t, 'n1', {} as TaskContext, [], true);
      expect(r.hardware).toBeUndefined();
      expect(driftAction(t, undefined, r.hardware).action).toBe('re-apply');
    }
  });
});
