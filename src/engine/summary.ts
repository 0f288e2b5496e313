/**
 * Where an install stands, from the state file and the step list: per step and node, for the end
 * of a run and for `status`.
 */
import type { Step, TaskOn } from './types.js';
import { isExecutable } from './types.js';
import type { StateFile, TaskStatus } from '../state/types.js';

/** The checkpoint keys a task uses: node names in run order, or `local`. */
export function nodeKeys(on: TaskOn, nodes: readonly string[]): string[] {
  switch (on) {
    case 'both':
    case 'each':
      return [...nodes];
    case 'node1':
      return nodes.slice(0, 1);
    case 'node2':
      return nodes.slice(1, 2);
    case 'local':
      return ['local'];
  }
}

/**
 * Whether the engine can run every task of a step (an empty step is a placeholder: not executable),
 * on this target (`state.executableSteps`, when the target plays only some steps).
 */
export function stepExecutable(s: Step, state?: StateFile): boolean {
  if (state?.executableSteps && !state.executableSteps.includes(s.id)) return false;
  return s.tasks.length > 0 && s.tasks.every(isExecutable);
}

/** A step's standing. */
export type StepStanding = 'done' | 'skipped' | 'failed' | 'interrupted' | 'in-progress' | 'pending' | 'not-executable';

/** Combine task statuses into one (worst first). */
export function combine(statuses: (TaskStatus | undefined)[]): StepStanding {
  const s = statuses.map((x) => x ?? 'pending');
  if (!s.length) return 'pending';
  if (s.includes('failed')) return 'failed';
  if (s.includes('running')) return 'interrupted';
  if (s.every((x) => x === 'done')) return 'done';
  if (s.every((x) => x === 'done' || x === 'skipped')) return 'skipped';
  if (s.some((x) => x !== 'pending')) return 'in-progress';
  return 'pending';
}

/** Every (task, node key) record status of a step. */
function statusesOf(step: Step, state: StateFile, nodes: readonly string[], only?: string): (TaskStatus | undefined)[] {
  const out: (TaskStatus | undefined)[] = [];
  for (const t of step.tasks)
    for (const k of nodeKeys(t.on, nodes))
      if (only === undefined || k === only) out.push(state.tasks[t.id]?.[k]?.status);
  return out;
}

/** The standing of a step overall (`node` given: on that node only; undefined when the step has no task there). */
export function stepStanding(
  step: Step,
  state: StateFile,
  nodes: readonly string[],
  node?: string,
): StepStanding | undefined {
  const st = statusesOf(step, state, nodes, node);
  if (!stepExecutable(step, state)) return st.some((x) => x && x !== 'pending') ? combine(st) : 'not-executable';
  if (node !== undefined && !st.length) return undefined;
  return combine(st);
}

/** Latest finish time of a step's tasks on a node. */
export function stepFinishedAt(
  step: Step,
  state: StateFile,
  nodes: readonly string[],
  node: string,
): string | undefined {
  let last: string | undefined;
  for (const t of step.tasks)
    if (nodeKeys(t.on, nodes).includes(node)) {
      const f = state.tasks[t.id]?.[node]?.finishedAt;
      if (f && (!last || f > last)) last = f;
    }
  return last;
}

/** Steps grouped by standing, in step order. */
export function groupSteps(
  steps: readonly Step[],
  state: StateFile,
  nodes: readonly string[],
): Record<StepStanding, Step[]> {
  const g: Record<StepStanding, Step[]> = {
    done: [],
    skipped: [],
    failed: [],
    interrupted: [],
    'in-progress': [],
    pending: [],
    'not-executable': [],
  };
  for (const s of steps) g[stepStanding(s, state, nodes)!].push(s);
  return g;
}

/** The first task id (in run order) before `stepIndex` that is not done or skipped, if any (`only`: on that node). */
export function firstUnsettled(
  steps: readonly Step[],
  stepIndex: number,
  state: StateFile,
  nodes: readonly string[],
  only?: string,
): { step: Step; task: string; node: string; status: TaskStatus | 'not executable' } | undefined {
  for (const step of steps.slice(0, stepIndex)) {
    if (!step.tasks.length) return { step, task: '(no tasks declared)', node: 'any node', status: 'not executable' };
    for (const task of step.tasks)
      for (const node of nodeKeys(task.on, nodes)) {
        if (only !== undefined && node !== only) continue;
        const st = state.tasks[task.id]?.[node]?.status ?? 'pending';
        if (st !== 'done' && st !== 'skipped') return { step, task: task.id, node, status: st };
      }
  }
  return undefined;
}
