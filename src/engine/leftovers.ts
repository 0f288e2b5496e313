/**
 * What an interrupted write leaves on a node: the transport uploads a file to `.NAME.anvil-<hex>`
 * beside its target (and the backup beside the backup) and renames it over the target; a kill in
 * between leaves the temporary file. Before a run carries on, these are removed for every task not
 * yet done on the node, so the node ends as an uninterrupted run leaves it.
 */
import { posix } from 'node:path';
import type { Step } from './types.js';
import type { Plan } from '../plan/derive.js';
import type { StateFile } from '../state/types.js';
import type { NodeHandle } from './types.js';
import { backupTarget } from './node-handle.js';
import { q, sh } from './shell.js';
import type { JournalEntry } from '../state/journal.js';

/** The temporary name pattern of `sftp-files.ts` `tempNameFor` for a file called `name`. */
export function tempNamePattern(name: string): RegExp {
  return new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.anvil-[0-9a-f]{12}$`);
}

/** Add `path` (when given) to a folder → file names map. */
function addPath(out: Map<string, Set<string>>, path: string | undefined): void {
  if (!path) return;
  const d = posix.dirname(path);
  if (!out.has(d)) out.set(d, new Set());
  out.get(d)!.add(posix.basename(path));
}

/** Folder → file names whose temporary copies may be left there: the files of every task not settled on `node`. */
export function leftoverCandidates(
  steps: readonly Step[],
  plan: Plan,
  state: StateFile,
  node: string,
): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (path: string | undefined) => addPath(out, path);
  const pn = plan.nodes.find((n) => n.name === node);
  if (!pn) return out;
  for (const step of steps)
    for (const task of step.tasks) {
      // NOTE: every task not settled, not only `running`: a safe task's `running` is saved lazily, so
      // a kill right after its start can leave the record as it was before, with a temp file written.
      const st = state.tasks[task.id]?.[node]?.status;
      if (st === 'done' || st === 'skipped' || !task.files) continue;
      let specs: ReturnType<NonNullable<typeof task.files>>;
      try {
        specs = task.files(plan, pn);
      } catch {
        // NOTE: a task whose files cannot be derived now wrote none of them in a way we can name.
        continue;
      }
      for (const f of specs) {
        add(f.path);
        add(backupTarget(f.path, f.backup));
      }
    }
  return out;
}

/**
 * Add to `candidates` the files whose writes began on `node` (the journal's `write-start` lines):
 * tasks that write from their own code (cluster.conf, fstab, known_hosts…) declare no `files`.
 */
export function addJournalWrites(
  candidates: Map<string, Set<string>>,
  entries: readonly JournalEntry[],
  node: string,
): Map<string, Set<string>> {
  for (const e of entries)
    if (e.kind === 'write-start' && e.node === node) for (const path of [e.path, e.backup]) addPath(candidates, path);
  return candidates;
}

/** Remove the temporary files interrupted tasks left on a node; returns the paths removed. */
export async function removeLeftovers(node: NodeHandle, candidates: Map<string, Set<string>>): Promise<string[]> {
  const removed: string[] = [];
  for (const [dir, names] of candidates) {
    const r = await node.exec(sh`ls -A1 ${dir}`);
    if (r.code !== 0) continue;
    const pats = [...names].map(tempNamePattern);
    const found = r.stdout
      .split('\n')
      .filter((n) => pats.some((p) => p.test(n)))
      .map((n) => posix.join(dir, n));
    if (!found.length) continue;
    await node.sh(`rm -f -- ${found.map(q).join(' ')}`);
    removed.push(...found);
  }
  return removed;
}
