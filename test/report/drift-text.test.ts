/**
 * The drift report's text: rows under their columns, multi-line findings kept under the column, and
 * what to run next: a re-apply per drifted step, but not for a step whose drift an operator test saw
 * (a re-apply keeps gates).
 */
import { describe, expect, it } from 'vitest';
import type { Step } from '../../src/engine/types.js';
import type { DriftFinding } from '../../src/engine/drift.js';
import { DriftReport } from '../../src/report/drift-text.js';
import { newState } from '../../src/state/store.js';

const steps: Step[] = [
  {
    id: 'conf',
    title: 'Config',
    doc: '',
    tasks: [{ id: 'conf.write', title: 'write', on: 'both', kind: 'safe', verify: async () => ({ summary: '' }) }],
  },
  {
    id: 'tests',
    title: 'Tests',
    doc: '',
    tasks: [
      {
        id: 'tests.run',
        title: 'run',
        on: 'node1',
        kind: 'gate',
        gate: { instruct: () => '' },
        verify: async () => ({ summary: '' }),
      },
    ],
  },
];

describe('DriftReport', () => {
  it('prints rows, keeps multi-line findings under the column, and hints a re-apply only where it can help', () => {
    const state = newState();
    state.tasks = {
      'conf.write': { a: { status: 'done' }, b: { status: 'done' } },
      'tests.run': { a: { status: 'done' } },
    };
    const lines: string[] = [];
    const r = new DriftReport(steps, state, ['a', 'b'], (l) => lines.push(l));
    const findings: DriftFinding[] = [
      { step: 'conf', task: 'conf.write', node: 'a', status: 'drift', detail: 'line 1\nline 2', expected: 'line 0' },
      { step: 'conf', task: 'conf.write', node: 'b', status: 'ok', detail: 'as planned' },
      { step: 'tests', task: 'tests.run', node: 'a', status: 'drift', detail: 'a bond on its backup link' },
    ];
    r.step(steps[0]);
    r.finding(findings[0]);
    r.finding(findings[1]);
    r.step(steps[1]);
    r.finding(findings[2]);
    r.summary(findings, '/st');
    expect(lines.join('\n')).toBe(
      [
        '',
        'conf — Config',
        '  conf.write  a     DRIFT        saw: line 1',
        '                                   line 2',
        '                                 expected: line 0',
        '  conf.write  b     ok           as planned',
        '',
        'tests — Tests',
        '  tests.run   a     DRIFT        saw: a bond on its backup link',
        '',
        '3 task records checked (task × node): 1 ok, 2 drifted; 0 not checked',
        '✖ drift: conf.write on a, tests.run on a',
        '  re-apply a step (its tasks run again by the resume rules; destructive ones never twice), then check again:',
        '    anvil-install check --state /st --only conf --force',
        '  tests: what an operator test left is no longer so; fix the cause (re-applying keeps the test), then check again',
        '  a drift the install cannot undo (a pulled cable, a dead switch port) needs hands first',
      ].join('\n'),
    );
  });
});
