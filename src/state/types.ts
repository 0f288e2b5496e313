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
  /**
   * The capture sequence number (`StateFile.captureSeq`) its inputs were taken at: the values read
   * from the nodes enter its input hash as they were then (`capturedAsOf`), frozen, so a value the
   * task itself read or changed (the free space it partitioned) never re-opens it. Absent in records
   * written before this field: they hash with the current values.
   */
  capturedSeq?: number;
  /** Set while the task is being re-applied live (`Task.live`): an interrupted live re-apply resumes as one. */
  live?: boolean;
}

/** One value of a capture key and the sequence number it was captured at. */
export interface CaptureVersion {
  seq: number;
  value: unknown;
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
  /** Values discovered during the run (e.g. captured MACs): `captured[key]`, the latest value of each. */
  captured: Record<string, unknown>;
  /** The sequence number of the last capture that changed a value (0 or absent: none since this was kept). */
  captureSeq?: number;
  /**
   * Every value each capture key has had, oldest first, with the sequence number it was captured at:
   * what `capturedAsOf` freezes a task's inputs from. A key of `captured` missing here counts as seq 0.
   */
  capturedHistory?: Record<string, CaptureVersion[]>;
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
