/**
 * meetGate: a gate the run stopped at and the operator resumed counts as done for an operator action,
 * but a test (a gate the tool can drive) is never recorded as passed on a resume alone (issue 16, 4).
 */
import { describe, expect, it } from 'vitest';
import { meetGate } from '../../src/engine/gates.js';
import type { Task } from '../../src/engine/types.js';
import type { Plan } from '../../src/plan/derive.js';
import { fakePrompter } from '../helpers/fake-node.js';

const task = (drive: boolean): Task => ({
  id: 'x.gate',
  title: 'A gate',
  on: 'node1',
  kind: 'gate',
  gate: { instruct: () => 'Pull the cable.', ...(drive ? { drive: async () => ({ summary: 'seen' }) } : {}) },
});
const plan = {} as Plan;

describe('meetGate after a resume', () => {
  it('an operator action the run stopped at is confirmed by the resume', async () => {
    expect(
      await meetGate(task(false), plan, 'n1', fakePrompter(), {
        yes: true,
        acceptGates: false,
        resumedAfterStop: true,
      }),
    ).toEqual({ result: 'confirmed', summary: 'operator resumed the run after the gate stop' });
  });

  it('a test resumed under --yes is recorded as not run, never as passed', async () => {
    const g = await meetGate(task(true), plan, 'n1', fakePrompter(), {
      yes: true,
      acceptGates: false,
      resumedAfterStop: true,
      test: true,
    });
    expect(g).toEqual({
      result: 'accepted',
      summary: 'not run: the run was resumed under --yes; no evidence the test passed',
    });
  });
});
