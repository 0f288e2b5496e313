/**
 * Walk the step list for a plan: the same traversal feeds `plan`, `render` and the runbook.
 */
import type { FileSpec, Step, Task } from './types.js';
import { nodesFor } from './types.js';
import type { Plan, PlanNode } from '../plan/derive.js';
import { renderFile } from './render.js';

/** One file as a task leaves it on one node. */
export interface RenderedFile {
  step: string;
  task: string;
  node: PlanNode;
  spec: FileSpec;
  content: string;
}

/** Render one spec (an `edit` spec is applied to its stock template). */
export function contentOf(spec: FileSpec, p: Plan, n: PlanNode): string {
  const base = renderFile(spec, p, n);
  return spec.edit ? spec.edit(base) : base;
}

/** Every file of every task on every node, in execution order (a later write of a path supersedes). */
export function renderedFiles(p: Plan, steps: readonly Step[]): RenderedFile[] {
  const out: RenderedFile[] = [];
  for (const s of steps)
    for (const t of s.tasks)
      for (const n of nodesFor(p, t.on))
        for (const spec of t.files?.(p, n) ?? []) {
          const content = contentOf(spec, p, n);
          out.push({ step: s.id, task: t.id, node: n, spec, content });
          if (spec.copiedTo === 'peer') out.push({ step: s.id, task: t.id, node: p.peerOf(n), spec, content });
        }
  return out;
}

/** The final form of every file per node: `Map<nodeName, Map<path, RenderedFile>>`. */
export function finalFiles(p: Plan, steps: readonly Step[]): Map<string, Map<string, RenderedFile>> {
  const out = new Map<string, Map<string, RenderedFile>>(p.nodes.map((n) => [n.name, new Map()]));
  for (const f of renderedFiles(p, steps)) out.get(f.node.name)!.set(f.spec.path, f);
  return out;
}

/** Every (step, task) pair in order. */
export function allTasks(steps: readonly Step[]): { step: Step; task: Task }[] {
  return steps.flatMap((step) => step.tasks.map((task) => ({ step, task })));
}
