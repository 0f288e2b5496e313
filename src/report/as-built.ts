/**
 * "As built": the state folder's record of what ran, attached to the runbook's tasks. Only reads
 * `state.json`; every string taken from it is redacted again before it reaches a document.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AnvilError } from '../errors.js';
import { redact } from '../plan/derive.js';
import { readState, STATE_FILE } from '../state/store.js';
import type { StateFile, TaskRecord } from '../state/types.js';
import type { StepView } from './tasks.js';

/** One task on one node as built. */
export interface BuiltRow {
  node: string;
  /** `done`, `failed`, ... or `not run` when the state has no record. */
  status: string;
  startedAt: string;
  finishedAt: string;
  evidence: string;
  /** `key=value` pairs of the evidence details. */
  details: string[];
  error: string;
  runs: number | undefined;
  /** The task's inputs for this node changed since it ran: the runbook shows the new ones. */
  changed: boolean;
}

/** The state file, read for a report. */
export interface AsBuilt {
  /** Where it was read from. */
  file: string;
  createdAt: string;
  updatedAt: string;
  lab: boolean;
  state: StateFile;
}

/** Read `DIR/state.json` (or a state.json path) for an as-built runbook. */
export function loadAsBuilt(dirOrFile: string): AsBuilt {
  const dir = existsSync(dirOrFile) && statSync(dirOrFile).isFile() ? dirname(dirOrFile) : dirOrFile;
  const file = join(dir, STATE_FILE);
  // NOTE: the state store's own reader: same checks (schema version, damaged file) as a resume.
  const state = readState(dir);
  if (!state)
    throw new AnvilError(
      `no ${STATE_FILE} in ${dir}`,
      'pass --state with the state folder of an install (default .anvil)',
    );
  return { file, createdAt: state.createdAt ?? '', updatedAt: state.updatedAt ?? '', lab: !!state.lab, state };
}

/** A timestamp as `YYYY-MM-DD HH:MM:SS` (UTC) or as given when it does not parse. */
export function fmtTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}

/** The current input hash of a task on a node key (as the engine computes it), to spot changes. */
export type HashOf = (taskId: string, nodeKey: string) => string | undefined;

function row(node: string, r: TaskRecord | undefined, secrets: string[], hash: string | undefined): BuiltRow {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- evidence details are strings, numbers and booleans
  const s = (v: unknown) => redact(v === undefined || v === null ? '' : String(v), secrets);
  return {
    node,
    status: r ? s(r.status) : 'not run',
    startedAt: fmtTime(r?.startedAt),
    finishedAt: fmtTime(r?.finishedAt),
    evidence: s(r?.evidence?.summary),
    details: Object.entries(r?.evidence?.details ?? {}).map(([k, v]) => s(`${k}=${v}`)),
    error: s(r?.error),
    runs: r?.runs,
    changed: !!(r?.inputHash && hash && r.status === 'done' && r.inputHash !== hash),
  };
}

/** Per task id: one row per node the task runs on (plus any other node the state recorded). */
export function builtRows(
  steps: StepView[],
  built: AsBuilt,
  secrets: string[],
  hashOf: HashOf = () => undefined,
): Map<string, BuiltRow[]> {
  const out = new Map<string, BuiltRow[]>();
  for (const s of steps)
    for (const t of s.tasks) {
      const rec = built.state.tasks[t.id] ?? {};
      const nodes = [...t.nodes, ...Object.keys(rec).filter((k) => !t.nodes.includes(k))];
      out.set(
        t.id,
        nodes.map((n) => row(n, rec[n], secrets, hashOf(t.id, n))),
      );
    }
  return out;
}

/** Counts of task-node records by status, for the cover. */
export function statusCounts(rows: Map<string, BuiltRow[]>): { status: string; count: number }[] {
  const m = new Map<string, number>();
  for (const rs of rows.values()) for (const r of rs) m.set(r.status, (m.get(r.status) ?? 0) + 1);
  return [...m].map(([status, count]) => ({ status, count }));
}
