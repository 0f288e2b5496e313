/**
 * `install --check`: a live dry run. For each selected step, what it would do on the nodes as they
 * are now (the approval screen, whole) and, per task and node that would run, whether its verify
 * already passes (then the task would only confirm it). Reads only: file reads, `done` probes and
 * verifies; nothing is written on a node or in the checkpoint.
 */
import type { Step, Task, TaskContext } from './types.js';
import type { StepPreview } from './step-preview.js';
import { redact } from '../plan/derive.js';
import { verifyFailure } from './drift.js';

/** What the dry run found for one (task, node) that would run. */
export interface CheckedRun {
  task: string;
  key: string;
  /** `in place`: its verify passes now; `would change`: it fails (what it saw); `operator`: a gate. */
  state: 'in place' | 'would change' | 'operator';
  detail: string;
}

/** The dry run of one step. */
export interface StepCheck {
  step: Step;
  preview: StepPreview;
  runs: CheckedRun[];
}

/** Run the verify of a (task, node) read-only and say what it means for the dry run. */
export async function checkRun(task: Task, key: string, ctx: TaskContext, secrets: string[]): Promise<CheckedRun> {
  if (task.kind === 'gate')
    return {
      task: task.id,
      key,
      state: 'operator',
      detail: task.gate?.drive ? 'a test the tool would run (after asking)' : 'the operator would act and confirm',
    };
  if (!task.verify) return { task: task.id, key, state: 'would change', detail: 'no check declared: it would run' };
  try {
    const ev = await task.verify(ctx);
    return { task: task.id, key, state: 'in place', detail: redact(ev.summary, secrets) };
  } catch (e) {
    // NOTE: a check of a step whose earlier steps have not run yet may fail in any way: that is its answer.
    const f = verifyFailure(e, task.id, key, secrets);
    return {
      task: task.id,
      key,
      state: 'would change',
      detail: f.expected ? `expected ${f.expected}; saw ${f.detail}` : f.detail,
    };
  }
}

/** The lines `install --check` prints for a step after its screen. */
export function checkLines(c: StepCheck): string[] {
  if (!c.runs.length) return ['  nothing to do: every task is done and unchanged'];
  return ['  checks now (read-only):', ...c.runs.map((r) => `    ${r.task} on ${r.key}: ${r.state} — ${r.detail}`)];
}

/** The closing line of a dry run. */
export function checkSummary(checks: StepCheck[]): string {
  const runs = checks.flatMap((c) => c.runs);
  const n = (s: CheckedRun['state']) => runs.filter((r) => r.state === s).length;
  const kept = checks.reduce((k, c) => k + c.preview.kept, 0);
  return `install --check: ${runs.length} task×node would run (${n('would change')} would change, ${n('in place')} already in place, ${n('operator')} operator tests); ${kept} done earlier and unchanged. Nothing was changed.`;
}
