/**
 * The checkpoint format (`state.json`), per DESIGN.md "Checkpoints and resume". Secrets never go
 * in here: inputs are hashed after masking, evidence is what verifies saw (redacted).
 */

/** Bump when the shape changes; older files are migrated or refused with a clear message. */
export const STATE_SCHEMA_VERSION = 1;

/** Status of one task on one node. */
export type TaskStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

/** One task on one node. */
export interface TaskRecord {
  status: TaskStatus;
  /** sha256 of the task's rendered files + commands for this node (secrets masked). */
  inputHash?: string;
  startedAt?: string;
  finishedAt?: string;
  /** What the verify saw. */
  evidence?: { summary: string; details?: Record<string, string | number | boolean> };
  /** Last error message, when failed. */
  error?: string;
  /** How many times it ran (a `once` task must stay at 1). */
  runs?: number;
  /** A gate the run stopped at (`--yes`): the `resume` that follows counts as the operator's confirmation. */
  awaitingOperator?: boolean;
  /**
   * Keyed digests (HMAC with the folder's `secret.key`) of the secrets the task applied, by path
   * (`ricci.password`, `fencing.devices.NAME.passwd`): a changed secret re-opens the task. Never the
   * secret itself nor a plain hash of it.
   */
  secretHashes?: Record<string, string>;
  /** Why the task ended as it did, when that is not obvious (e.g. a gate accepted with --accept-gates). */
  note?: string;
}

/** The whole state file. */
export interface StateFile {
  schemaVersion: number;
  /** Absolute path of the answers file used. */
  answersFile?: string;
  /** sha256 of the (masked) answers. */
  answersHash?: string;
  createdAt: string;
  updatedAt: string;
  /** `tasks[taskId][nodeName]`; `local` tasks use the key `local`. */
  tasks: Record<string, Record<string, TaskRecord>>;
  /** Values discovered during the run (e.g. captured MACs): `captured[key]`. */
  captured: Record<string, unknown>;
  /** Node names in order (node 1, node 2), so `status` reads without the answers file. */
  nodes?: string[];
  /**
   * Steps the install target can execute, when it cannot run them all (the lab simulates the
   * tutorial's tools step by step); absent = every step.
   */
  executableSteps?: string[];
  /** Id of the `secret.key` the records' `secretHashes` were made with (tells a lost key from a changed secret). */
  secretKeyId?: string;
  /** Whether the run used the lab. */
  lab?: { stateDir: string; ports: Record<string, number> };
}
