/**
 * What a file write changes on a node, as a unified diff the operator approves, skips or aborts.
 */
import { createTwoFilesPatch } from 'diff';
import type { Prompter } from './types.js';
import { maskSecretAttrs, redact } from '../plan/derive.js';

/** A planned change of one file. */
export interface FileChange {
  path: string;
  /** Unified diff (secrets masked), empty when identical. */
  patch: string;
  added: number;
  removed: number;
  identical: boolean;
}

/** Diff the node's current content (null: absent) against the planned content; secrets masked. */
export function fileChange(path: string, current: string | null, planned: string, secrets: string[]): FileChange {
  if (current === planned) return { path, patch: '', added: 0, removed: 0, identical: true };
  // NOTE: the node's file may hold an old password (one changed in the answers since): mask every
  // secret attribute's value, not only the secrets the answers know.
  const patch = maskSecretAttrs(
    redact(
      createTwoFilesPatch(
        current === null ? '/dev/null' : `${path} (on node)`,
        `${path} (planned)`,
        current ?? '',
        planned,
        undefined,
        undefined,
        { context: 3 },
      ),
      secrets,
    ),
  );
  let added = 0;
  let removed = 0;
  for (const line of patch.split('\n')) {
    if (line.startsWith('+') && !line.startsWith('+++')) added++;
    else if (line.startsWith('-') && !line.startsWith('---')) removed++;
  }
  return { path, patch, added, removed, identical: false };
}

/** The operator's answer for one changed file. */
export type FileDecision = 'approve' | 'skip' | 'abort';

/** The choices offered for a changed file, default first. */
export const FILE_CHOICES: FileDecision[] = ['approve', 'skip', 'abort'];

/**
 * Ask whether to write a changed file. The diff comes first and the question last,
 * `<node>: write <path> (+a -r)?` (the text a fake prompter matches); `--yes` takes the default, approve.
 */
export async function approveFile(
  prompt: Prompter,
  node: string,
  change: FileChange,
  changedSinceApproval = false,
): Promise<FileDecision> {
  const what = `${node}: write ${change.path} (+${change.added} -${change.removed})?`;
  // NOTE: the step's approval showed another diff (or none): this one depends on what its earlier tasks found.
  const why = changedSinceApproval
    ? `${node}: ${change.path} differs from the diff approved with the step (it depends on what the step's earlier tasks found):\n`
    : '';
  return (await prompt.select(`${why}${change.patch}\n${what}`, FILE_CHOICES, 'approve')) as FileDecision;
}
