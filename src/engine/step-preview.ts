/**
 * What a step will do, worked out before any of it runs: per task and node, the files it will
 * write (as diffs against what is on the node now), its commands, what it destroys or disrupts,
 * and the operator tests it holds. Only reads the nodes (files, `done` probes). The approval screen
 * (approval.ts) and `install --check` show it.
 */
import type { Plan, PlanNode } from '../plan/derive.js';
import type { Step, Task, TaskContext } from './types.js';
import { stepWarnings } from './types.js';
import { fileChange } from './diff.js';
import { contentOf } from './walk.js';
import { groupByValue, type NodeGroup } from '../report/tasks.js';
import { redact } from '../plan/derive.js';
import type { DriftedRun } from './drifted-run.js';

/** Why a (task, node) is in the preview. */
export type RunReason =
  'new' | 'retry' | 'changed' | 'secret-changed' | 'reopened' | 'interrupted' | 'retest' | 'drifted';

/** One (task, node) the step will run, as the runner decided it. */
export interface PlannedRun {
  task: Task;
  /** Node name, or `local`. */
  key: string;
  /** The node's plan entry (undefined for `local`). */
  pn?: PlanNode;
  reason: RunReason;
  /** Re-applied live to the running platform (`Task.live`) instead of run as in the first build. */
  live?: boolean;
  /** A read-only context on that node (reads files, runs `done` probes). */
  ctx: TaskContext;
}

/** A file a task will write, with the same change on several nodes shown once. */
export interface PreviewFile {
  path: string;
  /** Unified diff against the node's copy (secrets masked); empty when it cannot be known yet. */
  patch: string;
  added: number;
  removed: number;
  /** Set when the content depends on what earlier tasks of the step find: shown when they have run. */
  later?: string;
}

/** A task of the step as it will run. */
export interface PreviewTask {
  task: Task;
  /** The nodes (keys) it runs on, in run order. */
  keys: string[];
  /** Why it runs, per node, in words (only when not simply new). */
  reasons: NodeGroup<string>[];
  /** Files that change, grouped by identical change across nodes (unchanged files are left out). */
  files: NodeGroup<PreviewFile>[];
  /** Commands, grouped by identical lists. */
  commands: NodeGroup<string[]>[];
  /** `once` tasks: what it destroys on each node (for the typed confirmation). */
  destroys: { key: string; what: string }[];
  /** `once` tasks whose probe found them already done on a node: not run there. */
  alreadyDone: string[];
}

/** Everything a step will do, for its approval. */
export interface StepPreview {
  step: Step;
  warnings: string[];
  tasks: PreviewTask[];
  /** (task, node) pairs done earlier and left as they are. */
  kept: number;
  /** Done (task, node) records whose check fails now: the safe ones are among the tasks to run. */
  drift?: DriftedRun[];
}

const REASON: Record<RunReason, string> = {
  new: '',
  retry: 'failed or stopped earlier: runs again',
  changed: 'done earlier, but its inputs changed: runs again',
  'secret-changed': 'done earlier, but a password it applied changed: runs again',
  reopened: 'done earlier, re-applied as asked',
  interrupted: 'interrupted earlier: checked first, run again only if the check fails',
  retest: 'done earlier, run again as named by --retest (only from a safe state)',
  drifted: 'done earlier, but its check fails now (drift): runs again if you approve',
};

/** What a (task, node) will write: its files against the node's current copies. Reads only. */
async function filesOf(r: PlannedRun, plan: Plan, secrets: string[]): Promise<PreviewFile[]> {
  if (!r.pn) return [];
  const out: PreviewFile[] = [];
  let specs;
  try {
    specs = r.task.files?.(plan, r.pn) ?? [];
  } catch (e) {
    return [
      {
        path: '(files)',
        patch: '',
        added: 0,
        removed: 0,
        later: `known once the earlier tasks of this step have run (${(e as Error).message})`,
      },
    ];
  }
  for (const spec of specs) {
    let content: string;
    const current = await r.ctx.node.readFile(spec.path);
    try {
      content = spec.edit && current !== null ? spec.edit(current) : contentOf(spec, plan, r.pn);
    } catch (e) {
      out.push({
        path: spec.path,
        patch: '',
        added: 0,
        removed: 0,
        later: `its content depends on what the earlier tasks of this step find (${(e as Error).message})`,
      });
      continue;
    }
    // NOTE: a value the step's earlier tasks capture (MACs…) is not known yet: never show a guess.
    if (/\bundefined\b/.test(content) && !(current ?? '').includes('undefined')) {
      out.push({
        path: spec.path,
        patch: '',
        added: 0,
        removed: 0,
        later: 'it holds values the earlier tasks of this step capture',
      });
      continue;
    }
    const c = fileChange(spec.path, current, content, secrets);
    if (!c.identical) out.push({ path: spec.path, patch: c.patch, added: c.added, removed: c.removed });
  }
  return out;
}

async function commandsOf(r: PlannedRun, plan: Plan, secrets: string[]): Promise<string[]> {
  if (!r.pn) return [];
  // NOTE: the commands as they will run, read from the node now (a free-space start, a wrapper).
  if (r.task.preview)
    try {
      return (await r.task.preview(r.ctx)).map((c) => redact(c, secrets));
    } catch {
      // NOTE: the node cannot tell yet (an earlier task of the step prepares it): the plan's form.
    }
  if (!r.task.commands) return [];
  try {
    return r.task.commands(plan, r.pn);
  } catch {
    return ['(the commands depend on what the earlier tasks of this step find)'];
  }
}

/**
 * Build the preview of a step from the (task, node) pairs the runner decided will run. `once`
 * tasks consult their `done` probe (read-only), as the runner will before running them.
 */
export async function previewStep(
  step: Step,
  plan: Plan,
  runs: PlannedRun[],
  kept: number,
  secrets: string[],
): Promise<StepPreview> {
  const tasks: PreviewTask[] = [];
  for (const task of step.tasks) {
    const mine = runs.filter((r) => r.task === task);
    if (!mine.length) continue;
    const t: PreviewTask = { task, keys: [], reasons: [], files: [], commands: [], destroys: [], alreadyDone: [] };
    const files: { node: string; value: PreviewFile }[] = [];
    const commands: { node: string; value: string[] }[] = [];
    const reasons: { node: string; value: string }[] = [];
    for (const r of mine) {
      if (task.kind === 'once' && task.done && r.reason !== 'interrupted' && (await task.done(r.ctx))) {
        t.alreadyDone.push(r.key);
        continue;
      }
      t.keys.push(r.key);
      const live = r.live && r.pn && task.live;
      // NOTE: a live re-apply says what it does to the running cluster and runs its own commands, not the first build's.
      const why = live
        ? `${REASON[r.reason].replace(/: runs again$/, '')}; applied live to the running cluster: ${live.summary(plan, r.pn!)}`
        : REASON[r.reason];
      if (why) reasons.push({ node: r.key, value: why });
      if (!live) for (const f of await filesOf(r, plan, secrets)) files.push({ node: r.key, value: f });
      commands.push({ node: r.key, value: live ? live.commands(plan, r.pn!) : await commandsOf(r, plan, secrets) });
      if (task.kind === 'once' && task.destroys && r.pn)
        t.destroys.push({ key: r.key, what: task.destroys(plan, r.pn) });
    }
    if (!t.keys.length && !t.alreadyDone.length) continue;
    // NOTE: per path, so the same change on both nodes is shown once and marked so.
    for (const path of [...new Set(files.map((f) => f.value.path))])
      t.files.push(...groupByValue(files.filter((f) => f.value.path === path)));
    t.commands = groupByValue(commands).filter((g) => g.value.length);
    t.reasons = groupByValue(reasons);
    tasks.push(t);
  }
  return { step, warnings: stepWarnings(step, plan), tasks, kept };
}

/** Whether the step will do anything at all (else it needs no approval). */
export function previewHasWork(p: StepPreview): boolean {
  return p.tasks.some((t) => t.keys.length > 0);
}
