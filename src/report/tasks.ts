/**
 * A printable view of steps and tasks: what each task writes, runs, checks and asks, per node,
 * with values that are identical on both nodes shown once. `plan` (text) and the runbook (md/html)
 * format this one model, so they never disagree.
 */
import type { FileSpec, Step, Task, TaskKind, TaskOn, TestTable } from '../engine/types.js';
import { isExecutable, nodesFor, stepWarnings } from '../engine/types.js';
import { contentOf } from '../engine/walk.js';
import { renderFile } from '../engine/render.js';
import { structuredPatch } from 'diff';
import { backupTarget } from '../engine/node-handle.js';
import type { Plan, PlanNode } from '../plan/derive.js';

/** A value shared by a group of nodes (`['local']` for tasks run on the operator's machine). */
export interface NodeGroup<T> {
  nodes: string[];
  value: T;
}

/** One file a task writes, with its content per group of nodes that get the same bytes. */
export interface FileView {
  path: string;
  /** Octal, e.g. `0644`. */
  mode: string;
  /** How the original is kept, in words; empty when the step does not say. */
  backup: string;
  /** The file holds passwords (masked in a masked plan). */
  secret: boolean;
  /** The file is an edit of the node's own copy (the content shown is the edited stock file). */
  edit: boolean;
  template: string;
  variants: NodeGroup<string>[];
  /** For an edit: what it changes in the stock file, as unified diff hunks (no file header). */
  changes?: NodeGroup<string>[];
}

/** The hunks (`@@ … @@` and their lines) turning `from` into `to`; empty when equal. */
export function changeHunks(from: string, to: string): string {
  const patch = structuredPatch('stock', 'edited', from, to, '', '', { context: 2 });
  return patch.hunks
    .map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n'))
    .join('\n');
}

/** A gate: what the operator does and ticks off. */
export interface GateView {
  instruct: string;
  checklist: string[];
  tables: TestTable[];
}

/** One task, ready to print. */
export interface TaskView {
  /** `step.task`, 1-based, e.g. `6.1`. */
  number: string;
  id: string;
  title: string;
  kind: TaskKind;
  on: TaskOn;
  /** Where it runs, in words: "both nodes in parallel", "each node in turn", a node name, "local". */
  where: string;
  /** Node names in run order (`['local']` for local tasks). */
  nodes: string[];
  executable: boolean;
  files: FileView[];
  commands: NodeGroup<string[]>[];
  expect: NodeGroup<string[]>[];
  expectedOutput: NodeGroup<string>[];
  gate?: GateView;
  /** A one-time transition of the first build: why it is not repeated when a later change re-opens it. */
  firstBuildOnly?: string;
  /** The gate's test can be run by the tool itself (driven), not only ticked off. */
  driven?: boolean;
}

/** One step, ready to print. */
export interface StepView {
  /** 1-based position in the full step list. */
  number: number;
  id: string;
  title: string;
  doc: string;
  warnings: string[];
  tasks: TaskView[];
}

/** Format a file mode as `0644`. */
export function fmtMode(mode: number | undefined): string {
  return (mode ?? 0o644).toString(8).padStart(4, '0');
}

/** The backup policy of a file, in words. */
export function backupText(spec: FileSpec): string {
  const target = backupTarget(spec.path, spec.backup);
  // NOTE: the engine keeps any existing file as .orig, whatever the step declares.
  return spec.backup === 'root-backups' || spec.backup === 'orig'
    ? `copy in ${target}`
    : `any existing file kept as ${target}`;
}

/** Where a task runs, in words. */
export function whereText(p: Plan, on: TaskOn): string {
  const [a, b] = p.nodes;
  switch (on) {
    case 'both':
      return `both nodes in parallel (${a.name}, ${b.name})`;
    case 'each':
      return `each node in turn (${a.name}, then ${b.name})`;
    case 'node1':
      return a.name;
    case 'node2':
      return b.name;
    case 'local':
      return 'local (this machine)';
  }
}

/** Group per-node values so identical ones are shown once. */
export function groupByValue<T>(items: { node: string; value: T }[]): NodeGroup<T>[] {
  const out: NodeGroup<T>[] = [];
  const keys: string[] = [];
  for (const it of items) {
    const key = JSON.stringify(it.value);
    const i = keys.indexOf(key);
    if (i >= 0) out[i].nodes.push(it.node);
    else {
      keys.push(key);
      out.push({ nodes: [it.node], value: it.value });
    }
  }
  return out;
}

function call<T>(task: Task, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    // NOTE: a step function that throws is a bug in that step; name it so it is found quickly.
    throw new Error(`task ${task.id}: ${what} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Build the printable view of one task (`number` is `step.task`). */
export function taskView(p: Plan, task: Task, number: string): TaskView {
  const runNodes = nodesFor(p, task.on);
  // NOTE: local tasks have no node of their own; their functions still take one, so node 1 stands in.
  const targets: { label: string; n: PlanNode }[] =
    task.on === 'local' ? [{ label: 'local', n: p.nodes[0] }] : runNodes.map((n) => ({ label: n.name, n }));

  const files: FileView[] = [];
  if (task.on !== 'local' && task.files) {
    const byPath = new Map<
      string,
      { spec: FileSpec; items: { node: string; value: string }[]; changes: { node: string; value: string }[] }
    >();
    for (const { label, n } of targets)
      for (const spec of call(task, 'files()', () => task.files!(p, n))) {
        const content = call(task, `rendering ${spec.path}`, () => contentOf(spec, p, n));
        const e = byPath.get(spec.path) ?? { spec, items: [], changes: [] };
        e.items.push({ node: label, value: content });
        if (spec.edit)
          e.changes.push({
            node: label,
            value: changeHunks(
              call(task, `rendering ${spec.path}`, () => renderFile(spec, p, n)),
              content,
            ),
          });
        byPath.set(spec.path, e);
      }
    for (const [path, { spec, items, changes }] of byPath)
      files.push({
        path,
        mode: fmtMode(spec.mode),
        backup: backupText(spec),
        secret: !!spec.secret,
        edit: !!spec.edit,
        template: spec.template,
        variants: groupByValue(items),
        ...(spec.edit ? { changes: groupByValue(changes) } : {}),
      });
  }
  const per = <T>(what: string, fn: ((p: Plan, n: PlanNode) => T) | undefined, keep: (v: T) => boolean) =>
    fn
      ? groupByValue(targets.map(({ label, n }) => ({ node: label, value: call(task, what, () => fn(p, n)) }))).filter(
          (g) => keep(g.value),
        )
      : [];
  const commands = per('commands()', task.commands?.bind(task), (v) => v.length > 0);
  const expect = per('expect()', task.expect?.bind(task), (v) => v.length > 0);
  const expectedOutput = per('expectedOutput()', task.expectedOutput?.bind(task), (v) => v.trim().length > 0);
  const gate = task.gate
    ? {
        instruct: call(task, 'gate.instruct()', () => task.gate!.instruct(p)),
        checklist: call(task, 'gate.checklist()', () => task.gate!.checklist?.(p) ?? []),
        tables: call(task, 'gate.tables()', () => task.gate!.tables?.(p) ?? []),
      }
    : undefined;
  return {
    number,
    id: task.id,
    title: task.title,
    kind: task.kind,
    on: task.on,
    where: whereText(p, task.on),
    nodes: targets.map((t) => t.label),
    executable: isExecutable(task),
    files,
    commands,
    expect,
    expectedOutput,
    gate,
    ...(task.firstBuildOnly ? { firstBuildOnly: task.firstBuildOnly } : {}),
    ...(task.gate?.drive ? { driven: true } : {}),
  };
}

/** Build the printable view of one step at its 1-based position `number`. */
export function stepView(p: Plan, step: Step, number: number): StepView {
  return {
    number,
    id: step.id,
    title: step.title,
    doc: step.doc,
    warnings: stepWarnings(step, p),
    tasks: step.tasks.map((t, i) => taskView(p, t, `${number}.${i + 1}`)),
  };
}

/** Views of `steps` (all of them, numbered by position), optionally only those whose id is in `only`. */
export function stepViews(p: Plan, steps: readonly Step[], only?: readonly string[]): StepView[] {
  return steps.flatMap((s, i) => (only && !only.includes(s.id) ? [] : [stepView(p, s, i + 1)]));
}

/** How a group of nodes is named in a heading: "both nodes", "an-node01", "local". */
export function groupLabel(g: NodeGroup<unknown>, all: string[]): string {
  if (g.nodes.length > 1 && g.nodes.length === all.length) return all.length === 2 ? 'both nodes' : 'all nodes';
  return g.nodes.join(', ');
}
