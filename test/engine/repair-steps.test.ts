/**
 * Issue 17 point 2: the repair `check` suggests for a drifted file is the step that owns the file's
 * final form (cluster.conf is written at three stages: re-applying an earlier one would write an
 * intermediate form on a running cluster).
 */
import { describe, expect, it } from 'vitest';
import type { Step, Task } from '../../src/engine/types.js';
import type { StateFile } from '../../src/state/types.js';
import { repairSteps, type DriftFinding } from '../../src/engine/drift.js';
import { derivePlan } from '../../src/plan/derive.js';
import { testAnswers } from '../helpers/synthetic-steps.js';

const writes = (id: string, path: string): Task => ({
  id,
  title: id,
  on: 'node1',
  kind: 'safe',
  files: () => [{ path, template: 'x.ejs' }],
});
const steps: Step[] = [
  {
    id: 'first',
    title: '',
    doc: '',
    tasks: [
      writes('first.conf', '/etc/x.conf'),
      { id: 'first.push', title: '', on: 'node1', kind: 'safe', concerns: '/etc/x.conf' },
    ],
  },
  {
    id: 'other',
    title: '',
    doc: '',
    tasks: [writes('other.file', '/etc/y'), { id: 'other.test', title: '', on: 'node1', kind: 'gate' }],
  },
  { id: 'last', title: '', doc: '', tasks: [writes('last.conf', '/etc/x.conf')] },
];
const drift = (step: string, task: string): DriftFinding => ({
  step,
  task,
  node: 'kvm-a',
  status: 'drift',
  detail: '',
});
const state = (done: string[]): StateFile =>
  ({
    tasks: Object.fromEntries(done.map((t) => [t, { 'kvm-a': { status: 'done' } }])),
    captured: {},
  }) as unknown as StateFile;

describe('repairSteps', () => {
  const plan = derivePlan(testAnswers());
  it('suggests the last step whose done task writes the drifted file, for writers and for tasks that only push it', () => {
    const all = state(['first.conf', 'first.push', 'other.file', 'other.test', 'last.conf']);
    expect(repairSteps([drift('first', 'first.conf'), drift('first', 'first.push')], steps, plan, all)).toEqual([
      'last',
    ]);
    expect(repairSteps([drift('other', 'other.file'), drift('first', 'first.conf')], steps, plan, all)).toEqual([
      'other',
      'last',
    ]);
  });
  it('an owner not done yet is not suggested; a drifted test is left out (a re-apply keeps it)', () => {
    const early = state(['first.conf', 'first.push', 'other.test']);
    expect(repairSteps([drift('first', 'first.push')], steps, plan, early)).toEqual(['first']);
    expect(repairSteps([drift('other', 'other.test')], steps, plan, early)).toEqual([]);
  });
});
