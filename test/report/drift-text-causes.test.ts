/**
 * The drift report and the causes verifies name: one cause seen by several checks is reported once
 * (its later rows point to the first), and a cause only hands can mend (a pulled cable) is reported
 * as hardware, with the node and interface, and no step is suggested to re-apply for it.
 */
import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/engine/types.js';
import { driftCauses, hardwareOnly, type DriftFinding } from '../../src/engine/drift.js';
import { DriftReport } from '../../src/report/drift-text.js';
import { newState } from '../../src/state/store.js';

const safe = (id: string) => ({
  id,
  title: id,
  on: 'node1' as const,
  kind: 'safe' as const,
  verify: async () => ({ summary: '' }),
});
const steps: Step[] = [
  { id: 'network', title: 'Network', doc: '', tasks: [safe('network.restart')] },
  { id: 'vms', title: 'VMs', doc: '', tasks: [safe('vms.enable')] },
  {
    id: 'acceptance',
    title: 'Acceptance',
    doc: '',
    tasks: ['acceptance.one', 'acceptance.two'].map((id) => ({
      id,
      title: id,
      on: 'node1' as const,
      kind: 'gate' as const,
      gate: { instruct: () => '' },
      verify: async () => ({ summary: '' }),
    })),
  },
];
const CABLE = {
  key: 'link n1 eth0',
  text: 'n1 eth0 (BCN link 1) has no link: a pulled cable, a dead switch port or a switch that is off',
  hardware: true,
};
const VM = { key: 'vm:vm1', text: 'vm:vm1: disabled on n1 (want started on n1)' };
const findings: DriftFinding[] = [
  {
    step: 'network',
    task: 'network.restart',
    node: 'n1',
    status: 'drift',
    detail: 'bond0: slave eth0 MII down',
    expected: 'both links up',
    causes: [CABLE],
  },
  {
    step: 'vms',
    task: 'vms.enable',
    node: 'n1',
    status: 'drift',
    detail: VM.text,
    expected: 'vm1 started',
    causes: [VM],
  },
  {
    step: 'acceptance',
    task: 'acceptance.one',
    node: 'n1',
    status: 'drift',
    detail: VM.text,
    expected: 'ideal',
    causes: [VM],
  },
  {
    step: 'acceptance',
    task: 'acceptance.two',
    node: 'n1',
    status: 'drift',
    detail: VM.text,
    expected: 'ideal',
    causes: [VM],
  },
];

function report(f: DriftFinding[]): string {
  const state = newState();
  for (const x of f) state.tasks[x.task] = { [x.node]: { status: 'done' } };
  const lines: string[] = [];
  const r = new DriftReport(steps, state, ['n1', 'n2'], (l) => lines.push(l));
  for (const s of steps) {
    r.step(s);
    for (const x of f.filter((y) => y.step === s.id)) r.finding(x);
  }
  r.summary(f, '/st');
  return lines.join('\n');
}

describe('DriftReport: causes', () => {
  it('reports one cause once: its later rows point to the first; the summary lists each cause once', () => {
    const text = report(findings);
    expect(text.match(/saw: vm:vm1: disabled/g)).toHaveLength(1);
    expect(text).toMatch(/^ {2}acceptance\.one +n1 +DRIFT +same cause as vms\.enable on n1 \(vm:vm1\)$/m);
    expect(text).toMatch(/^ {2}acceptance\.two +n1 +DRIFT +same cause as vms\.enable on n1 \(vm:vm1\)$/m);
    expect(text).toContain('  2 causes:');
    expect(text).toContain(
      '    - vm:vm1: disabled on n1 (want started on n1) (seen by vms.enable on n1, acceptance.one on n1, acceptance.two on n1)',
    );
    // the line scripts read is kept: every drifted task and node
    expect(text).toContain(
      '✖ drift: network.restart on n1, vms.enable on n1, acceptance.one on n1, acceptance.two on n1',
    );
  });

  it('reports a pulled cable as hardware with its node and interface, and suggests no re-apply for it', () => {
    const text = report(findings);
    expect(text).toMatch(
      /saw: bond0: slave eth0 MII down\n +expected: both links up\n +cause: n1 eth0 \(BCN link 1\) has no link: .* \(hardware: fix it by hand\)/,
    );
    expect(text).toContain(`    - hardware: ${CABLE.text} (seen by network.restart on n1)`);
    expect(text).toContain(
      `  hardware to fix by hand first (re-applying a step cannot), then check again:\n    ${CABLE.text}`,
    );
    expect(text).toContain('anvil-install check --state /st --only vms --force');
    expect(text).not.toContain('--only network');
    expect(text).not.toContain('a drift the install cannot undo');
  });

  it('a drift whose verify names no cause is a cause of its own; hardware only when every cause is', () => {
    const plain: DriftFinding = {
      step: 'vms',
      task: 'vms.enable',
      node: 'n2',
      status: 'drift',
      detail: 'something else',
    };
    expect(driftCauses([...findings, plain]).map((c) => c.seenBy.length)).toEqual([1, 3, 1]);
    expect(hardwareOnly(findings[0])).toBe(true);
    expect(hardwareOnly({ ...findings[0], causes: [CABLE, VM] })).toBe(false);
    expect(hardwareOnly(plain)).toBe(false);
    expect(report([plain])).not.toContain('cause');
  });
});
