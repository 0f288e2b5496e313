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
import type { FileDrift } from './file-drift.js';
import type { DriftAction, DriftedRun } from './drifted-run.js';

export type { DriftAction, DriftedRun } from './drifted-run.js';

/** What the dry run found for one (task, node) that would run. */
export interface CheckedRun {
  task: string;
  key: string;
  /** `in place`: its verify passes now; `would change`: it fails (what it saw); `operator`: a gate. */
  state: 'in place' | 'would change' | 'operator';
  detail: string;
  /** What it saw is hardware to fix by hand (a cable out): the causes in words; re-running cannot mend it. */
  hardware?: string;
}

/** The dry run of one step. */
export interface StepCheck {
  step: Step;
  preview: StepPreview;
  runs: CheckedRun[];
  /** Done (task, node) records whose verify was run again, read-only. */
  rechecked: number;
  /** Those that drifted. */
  drifted: DriftedRun[];
  /** Files of the step's done tasks that differ from their final form. */
  files: FileDrift[];
}

/** What `install` does about a drifted done task of this kind. */
export function driftAction(task: Task, superseded?: string, hardware?: string): Pick<DriftedRun, 'action' | 'why'> {
  if (superseded) return { action: 'superseded', why: superseded };
  if (hardware) return { action: 'report', why: `hardware to fix by hand: ${hardware}` };
  if (task.kind === 'once')
    return { action: 'report', why: 'destructive: never re-run; check the node and fix it by hand' };
  if (task.kind === 'gate') return { action: 'report', why: 'an operator test: re-run only when named' };
  if (task.firstBuildOnly) return { action: 'report', why: `one-time transition of the first build` };
  return { action: 're-apply' };
}

/** One line of a drifted record, as `install --check` and the approval screen show it. */
export function driftLine(d: DriftedRun): string {
  return `${d.task} on ${d.key}: DRIFT — ${d.detail}; ${ACTION_TEXT(d)}`;
}

const ACTION_TEXT = (d: DriftedRun): string =>
  d.action === 're-apply'
    ? '`install` re-applies it after asking'
    : d.action === 'superseded'
      ? `its file is now ${d.why}'s, which puts it back`
      : `reported only (${d.why})`;

/** Run the verify of a (task, node) read-only and say what it means for the dry run. */
export async function checkRun(
  task: Task,
  key: string,
  ctx: TaskContext,
  secrets: string[],
  /** A done record checked again: a gate's verify runs too (never its test). */
  done = false,
): Promise<CheckedRun> {
  if (task.kind === 'gate' && !done)
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
    const hardware = f.causes?.length && f.causes.every((c) => c.hardware) ? f.causes : undefined;
    return {
      task: task.id,
      key,
      state: 'would change',
      detail: f.expected ? `expected ${f.expected}; saw ${f.detail}` : f.detail,
      ...(hardware ? { hardware: hardware.map((c) => c.text).join('; ') } : {}),
    };
  }
}

/** The lines `install --check` prints for a step after its screen. */
export function checkLines(c: StepCheck): string[] {
  const out: string[] = [];
  if (c.runs.length)
    out.push('  checks now (read-only):', ...c.runs.map((r) => `    ${r.task} on ${r.key}: ${r.state} — ${r.detail}`));
  if (c.drifted.length) {
    out.push(`  DRIFT of done tasks (${c.drifted.length} of ${c.rechecked} re-checked):`);
    for (const d of c.drifted) out.push(`    ${driftLine(d)}`);
  }
  for (const f of c.files) {
    const what = f.missing ? 'missing' : `differs from what ${f.task} wrote, +${f.added} -${f.removed}`;
    out.push(
      `  ${f.path} on ${f.node}: ${what}`,
      ...f.patch
        .trimEnd()
        .split('\n')
        .map((l) => `      ${l}`),
    );
  }
  if (!c.runs.length && !c.drifted.length && !c.files.length)
    out.push(
      c.rechecked
        ? `  nothing to do: every task is done, unchanged, and its check still passes (${c.rechecked} re-checked)`
        : '  nothing to do: every task is done and unchanged',
    );
  return out;
}

/** The closing line of a dry run. */
export function checkSummary(checks: StepCheck[]): string {
  const runs = checks.flatMap((c) => c.runs);
  const n = (s: CheckedRun['state']) => runs.filter((r) => r.state === s).length;
  const kept = checks.reduce((k, c) => k + c.preview.kept, 0);
  const drifted = checks.flatMap((c) => c.drifted);
  const files = checks.reduce((k, c) => k + c.files.length, 0);
  const a = (x: DriftAction) => drifted.filter((d) => d.action === x).length;
  const drift = drifted.length
    ? `; DRIFT: ${drifted.length} done task×node no longer check${drifted.length === 1 ? 's' : ''} (${a('re-apply')} \`install\` would re-apply after asking, ${a('report')} reported only, ${a('superseded')} put back by a later task), ${files === 1 ? '1 file differs' : `${files} files differ`}`
    : files
      ? `; DRIFT: ${files === 1 ? '1 file differs' : `${files} files differ`}`
      : '';
  return `install --check: ${runs.length} task×node would run (${n('would change')} would change, ${n('in place')} already in place, ${n('operator')} operator tests); ${kept} done earlier and unchanged${drift}. Nothing was changed.`;
}
