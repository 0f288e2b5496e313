/**
 * Resume rules (DESIGN.md "Checkpoints and resume"), as a pure decision on one task record.
 *
 * - done/skipped, hash unchanged, not asked to re-open → keep (skip).
 * - done/skipped with a changed hash → re-open this task, and only it: a change re-opens the tasks
 *   whose rendered files or commands really change (the runner then keeps tests and first-build
 *   transitions, and applies a task with `live` to the running platform).
 * - done/skipped whose applied secret changed (keyed digest, see secret-inputs.ts) → the same.
 * - asked to re-open (`check --only STEP --force`, `install --retest STEP`) → run again.
 * - `running` found at start → interrupted: verify first; passes → done; else re-run if `safe`.
 * - a `once` task consults its `done` probe before it ever runs (pending, failed, interrupted or
 *   re-opened): done → mark done, never run again.
 */
import type { TaskRecord } from '../state/types.js';

/** What to do with one task on one node. */
export type Decision =
  /** Settled and unchanged: leave the record as it is. */
  | { action: 'keep' }
  /** Work out from the task kind: safe → run; once → probe `done` first; gate → ask the operator. */
  | {
      action: 'run';
      reopen: boolean;
      /** `drifted`: done and unchanged, but its check fails now and the operator approved it again. */
      reason: 'new' | 'retry' | 'changed' | 'secret-changed' | 'reopened' | 'drifted';
    }
  /** Interrupted mid-run: verify first; on failure run if safe, probe `done` if once. */
  | { action: 'verify-first'; reopen: boolean };

/**
 * Decide for one (task, node). `hash` is the task's input hash (computed with the values captured
 * as of when the record ran); `reopened` whether the operator asked for it to run again. A record still `running` was interrupted:
 * each task is visited once per run, so `running` can only come from the loaded state.
 * `secretsChanged`: paths of the secrets this record applied whose value changed since
 * (`changedSecrets`); the masked hash cannot see them.
 */
export function decide(
  rec: TaskRecord | undefined,
  hash: string,
  reopened: boolean,
  secretsChanged: readonly string[] = [],
): Decision {
  if (!rec) return { action: 'run', reopen: false, reason: 'new' };
  const secret = secretsChanged.length > 0;
  const hashChanged = rec.inputHash !== undefined && rec.inputHash !== hash;
  const changed = hashChanged || secret;
  if (rec.status === 'done' || rec.status === 'skipped') {
    if (!changed && !reopened) return { action: 'keep' };
    return { action: 'run', reopen: true, reason: hashChanged ? 'changed' : secret ? 'secret-changed' : 'reopened' };
  }
  if (rec.status === 'running') return { action: 'verify-first', reopen: changed };
  return { action: 'run', reopen: changed, reason: rec.status === 'pending' ? 'new' : 'retry' };
}
