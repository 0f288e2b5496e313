/**
 * Which secrets a task applied, as keyed digests in its checkpoint record, and which of them
 * changed since: the masked input hash cannot see a new password (it is masked before hashing), so
 * without this a changed fence or ricci password would be kept stale on resume.
 */
import type { SecretEntry } from '../plan/derive.js';
import { redact, secretForms } from '../plan/derive.js';
import type { TaskRecord } from '../state/types.js';
import { secretDigest } from '../state/secret-key.js';

/** Collects the paths of the secrets seen in a task's inputs and in what it sent to a node. */
export class SecretUse {
  readonly paths = new Set<string>();
  private readonly forms: { path: string; forms: string[] }[];
  constructor(entries: readonly SecretEntry[]) {
    this.forms = entries.map((e) => ({ path: e.path, forms: secretForms(e.value) }));
  }

  /** Note every secret found in `text` (a command, its stdin, a file's content). */
  scan(text: string | undefined): void {
    if (!text) return;
    for (const f of this.forms) if (!this.paths.has(f.path) && redact(text, f.forms) !== text) this.paths.add(f.path);
  }
}

/** Keyed digests of the secrets at `paths` (for `TaskRecord.secretHashes`); undefined when none. */
export function secretDigests(
  paths: Iterable<string>,
  entries: readonly SecretEntry[],
  key: Buffer,
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const p of [...paths].sort()) {
    const e = entries.find((x) => x.path === p);
    if (e) out[p] = secretDigest(key, p, e.value);
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Paths of the secrets a record applied whose value is now different. A secret no longer in the
 * answers (now prompted) cannot be compared and is not counted: its task asks for it when it runs.
 */
export function changedSecrets(rec: TaskRecord | undefined, entries: readonly SecretEntry[], key: Buffer): string[] {
  if (!rec?.secretHashes) return [];
  const out: string[] = [];
  for (const [path, digest] of Object.entries(rec.secretHashes)) {
    const e = entries.find((x) => x.path === path);
    if (e && secretDigest(key, path, e.value) !== digest) out.push(path);
  }
  return out;
}

/** One task on one node that a changed secret re-opens. */
export interface SecretReopen {
  task: string;
  node: string;
  paths: string[];
}

/**
 * The lines a run prints before it starts: which tasks re-open because a secret changed (or
 * because the folder's key was lost, so no secret can be compared).
 */
export function secretReopenLines(reopens: readonly SecretReopen[], keyLost: boolean, stateDir: string): string[] {
  if (!reopens.length) return [];
  const head = keyLost
    ? `note: ${stateDir}/secret.key is new (missing or replaced), so changed passwords cannot be told apart; the tasks that applied one re-open (and every later task on that node):`
    : 'note: a password in the answers changed since it was applied; these tasks re-open (and every later task on that node):';
  return [head, ...reopens.map((r) => `  ${r.task} on ${r.node}: ${r.paths.join(', ')} changed`)];
}
