/**
 * A cold start on real nodes without fence agents on this machine: the operator is asked once to
 * power both nodes on together, told that they must boot within post_join_delay of each other
 * (tutorial 5312), not asked twice in a row (the second answer could come too late: a fenced node).
 */
import { describe, expect, it } from 'vitest';
import { operatorHands, type PowerOnAgent } from '../../src/engine/hands.js';
import type { Prompter } from '../../src/engine/types.js';

/** A power-on agent that is not installed on this machine (spawn fails with ENOENT). */
const absent = (node: string): PowerOnAgent[] => [
  { agent: 'fence_absent_for_test', stdin: 'action=on\n', shown: `fence_absent_for_test -a ${node}.ipmi -o on` },
];

function prompter(answer: boolean): Prompter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    confirm: async (message) => (asked.push(message), answer),
    input: async () => Promise.reject(new Error('no input expected')),
    select: async () => Promise.reject(new Error('no select expected')),
  };
}

describe('operator hands: power-on', () => {
  it('nodes powered on together: one question naming both, with post_join_delay', async () => {
    const p = prompter(true);
    const hands = operatorHands(p);
    const together = { nodes: ['an-node01', 'an-node02'], postJoinDelay: 30 };
    await Promise.all(together.nodes.map((n) => hands.powerOn(n, absent(n), together)));
    expect(p.asked).toHaveLength(1);
    expect(p.asked[0]).toMatch(
      /^Power on an-node0[12] and an-node0[12] together \(fence_absent_for_test is not installed here;/,
    );
    expect(p.asked[0]).toContain(
      'within 30 seconds of each other (post_join_delay): the slower node is fenced otherwise',
    );
    // NOTE: the next power-on (another test) asks again: nothing is left over from this one.
    await hands.powerOn('an-node02', absent('an-node02'));
    expect(p.asked).toHaveLength(2);
    expect(p.asked[1]).toMatch(/^Power on an-node02 \(/);
  });

  it('a "no" fails every node of the question', async () => {
    const hands = operatorHands(prompter(false));
    const together = { nodes: ['an-node01', 'an-node02'], postJoinDelay: 30 };
    const r = await Promise.allSettled(together.nodes.map((n) => hands.powerOn(n, absent(n), together)));
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
  });
});
