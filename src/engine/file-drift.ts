/**
 * File drift: a file a done task wrote that no longer holds what the install left there. Each path
 * on each node belongs to the last done task that writes it (a later write supersedes an earlier
 * one, as `render` shows the final form), so a drifted file is shown once, as a diff against its
 * final form, under the task that would put it back. Reads only.
 */
import type { Plan } from '../plan/derive.js';
import type { StateFile } from '../state/types.js';
import { fileChange } from './diff.js';
import type { FileSpec, Step, Task } from './types.js';
import { nodesFor } from './types.js';
import { contentOf } from './walk.js';

/** The task that left a path on a node in its final form. */
export interface FileOwner {
  step: Step;
  task: Task;
  /** The node the task ran on (for a copied file: the node it was copied from). */
  from: string;
  spec: FileSpec;
}

/** A file whose content on a node differs from the final form its owner wrote. */
export interface FileDrift {
  step: string;
  task: string;
  /** Node the file is on. */
  node: string;
  path: string;
  /** Unified diff: the node's copy against the final form (secrets masked). */
  patch: string;
  added: number;
  removed: number;
  /** The node's copy is gone. */
  missing: boolean;
}

/**
 * Per node, per path: the last done task (in step order) that writes it. A task whose files cannot
 * be known (they need values not captured) owns nothing.
 */
export function fileOwners(steps: readonly Step[], plan: Plan, state: StateFile): Map<string, Map<string, FileOwner>> {
  const out = new Map<string, Map<string, FileOwner>>(plan.nodes.map((n) => [n.name, new Map()]));
  for (const step of steps)
    for (const task of step.tasks)
      for (const n of nodesFor(plan, task.on)) {
        if (state.tasks[task.id]?.[n.name]?.status !== 'done') continue;
        let specs: FileSpec[];
        try {
          specs = task.files?.(plan, n) ?? [];
        } catch {
          continue;
        }
        for (const spec of specs) {
          out.get(n.name)!.set(spec.path, { step, task, from: n.name, spec });
          if (spec.copiedTo === 'peer')
            out.get(plan.peerOf(n).name)!.set(spec.path, { step, task, from: n.name, spec });
        }
      }
  return out;
}

/**
 * The files of `step`'s tasks (those it owns in their final form) that differ on the nodes now.
 * `skip(task, node)`: records left out (those the run would redo anyway: their preview shows the diff).
 */
export async function fileDrifts(o: {
  step: Step;
  plan: Plan;
  owners: Map<string, Map<string, FileOwner>>;
  read: (node: string, path: string) => Promise<string | null>;
  secrets: string[];
  skip?: (task: Task, node: string) => boolean;
}): Promise<FileDrift[]> {
  const out: FileDrift[] = [];
  for (const n of o.plan.nodes)
    for (const [path, owner] of o.owners.get(n.name) ?? []) {
      if (owner.step !== o.step || o.skip?.(owner.task, owner.from)) continue;
      const current = await o.read(n.name, path);
      let planned: string;
      try {
        // NOTE: an edited stock file is judged by the edit: what it would change in the node's copy now.
        planned =
          owner.spec.edit && current !== null
            ? owner.spec.edit(current)
            : contentOf(owner.spec, o.plan, o.plan.node(owner.from));
      } catch {
        continue;
      }
      const c = fileChange(path, current, planned, o.secrets);
      if (c.identical) continue;
      out.push({
        step: owner.step.id,
        task: owner.task.id,
        node: n.name,
        path,
        patch: c.patch,
        added: c.added,
        removed: c.removed,
        missing: current === null,
      });
    }
  return out;
}

/**
 * The later task that now owns every file this task writes on a node (re-running it would write an
 * old form of them), or undefined. A task that writes no file (a push, a restart) acts on the files
 * of its step: it is superseded when they all are.
 */
export function supersededBy(
  task: Task,
  node: string,
  plan: Plan,
  owners: Map<string, Map<string, FileOwner>>,
  step?: Step,
): string | undefined {
  if (node === 'local') return undefined;
  const pathsOf = (t: Task, n: string): string[] => {
    try {
      return (t.files?.(plan, plan.node(n)) ?? []).map((s) => s.path);
    } catch {
      return [];
    }
  };
  let writers: { t: Task; n: string }[] = [{ t: task, n: node }];
  if (!pathsOf(task, node).length && step)
    writers = step.tasks.flatMap((t) => nodesFor(plan, t.on).map((n) => ({ t, n: n.name })));
  const paths = writers.flatMap(({ t, n }) => pathsOf(t, n).map((path) => ({ t, n, path })));
  if (!paths.length) return undefined;
  const later = paths.map(({ t, n, path }) => {
    const w = owners.get(n)?.get(path);
    return w && w.task !== t && w.step !== step ? w.task.id : undefined;
  });
  // NOTE: only when every file is now another step's: else re-running it is the repair.
  return later.every(Boolean) ? later[0] : undefined;
}
