/**
 * The input hash of a task on a node: what it would write and run, secrets masked. A done task
 * whose hash is unchanged is skipped on resume; a changed one is re-opened.
 */
import { createHash } from 'node:crypto';
import type { Task } from './types.js';
import type { Plan, PlanNode } from '../plan/derive.js';
import { redact, type SecretEntry } from '../plan/derive.js';
import { SecretUse } from './secret-inputs.js';
import { contentOf } from './walk.js';

/**
 * sha256 of the task's masked inputs on `node`: rendered files (an `edit` file as applied to its
 * stock template, so the hash does not depend on what is on the node), commands, and a gate's text.
 * `node` is undefined for `local` tasks.
 */
export function inputHash(task: Task, p: Plan, node: PlanNode | undefined, secrets: string[]): string {
  return inputDigests(task, p, node, secrets, []).hash;
}

/**
 * The input hash and the paths of the secrets that appear (unmasked) in the task's inputs, from one
 * rendering. `entries` are the answers' secrets (`secretEntries`).
 */
export function inputDigests(
  task: Task,
  p: Plan,
  node: PlanNode | undefined,
  secrets: string[],
  entries: readonly SecretEntry[],
): { hash: string; secretPaths: string[] } {
  const use = new SecretUse(entries);
  const m = (s: string) => {
    if (entries.length) use.scan(s);
    return redact(s, secrets);
  };
  const n = node ?? p.nodes[0];
  const input = {
    id: task.id,
    kind: task.kind,
    files: node
      ? (task.files?.(p, node) ?? []).map((f) => ({
          path: f.path,
          mode: f.mode ?? 0o644,
          backup: f.backup ?? 'none',
          content: m(contentOf(f, p, node)),
        }))
      : [],
    commands: node ? (task.commands?.(p, node) ?? []).map(m) : [],
    gate: task.gate
      ? { instruct: m(task.gate.instruct(p)), checklist: (task.gate.checklist?.(p) ?? []).map(m) }
      : undefined,
    expect: task.expect ? task.expect(p, n).map(m) : undefined,
  };
  return { hash: createHash('sha256').update(JSON.stringify(input)).digest('hex'), secretPaths: [...use.paths] };
}
