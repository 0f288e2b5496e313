/**
 * Values tasks discover on the nodes (`ctx.capture`) that feed the plan: the MACs of each node
 * (`nics.<node>`) and the start of the free disk space (`partitions.freeStart`).
 */
import type { Answers } from '../plan/schema.js';
import { derivePlan, type Plan } from '../plan/derive.js';
import { AnvilError } from '../errors.js';
import { redact } from '../plan/derive.js';
import type { StateFile } from '../state/types.js';

/** Capture key of a node's MACs: `{ bcn: [l1, l2], sn: [...], ifn: [...] }`. */
export const nicsKey = (node: string) => `nics.${node}`;
/** Capture key of the parted start of the free space (e.g. "47.5GB"). */
export const FREE_START_KEY = 'partitions.freeStart';
/** Capture key of one node's own free-space start: the two must agree (the plan has one start). */
export const freeStartKey = (node: string) => `${FREE_START_KEY}.${node}`;

/** The plan from the answers plus what was captured so far. */
export function planWithCaptured(answers: Answers, captured: Record<string, unknown>): Plan {
  const a: Answers = structuredClone(answers);
  for (const n of a.nodes) {
    const c = captured[nicsKey(n.name)];
    if (c && typeof c === 'object') n.nics = { ...(n.nics ?? {}), ...c } as typeof n.nics;
  }
  const freeStart = captured[FREE_START_KEY];
  return derivePlan(a, { freeStart: typeof freeStart === 'string' ? freeStart : undefined });
}

/**
 * Store a captured value (already `capturable`). A value that differs from the key's latest one
 * gets the next capture sequence number in `capturedHistory`, so the inputs of tasks that ran
 * before it stay as they were (`capturedAsOf`). The same value again changes nothing.
 */
export function recordCapture(state: StateFile, key: string, value: unknown): void {
  const history = (state.capturedHistory ??= {});
  const versions = (history[key] ??= key in state.captured ? [{ seq: 0, value: state.captured[key] }] : []);
  const last = versions[versions.length - 1];
  state.captured[key] = value;
  if (last && JSON.stringify(last.value) === JSON.stringify(value)) return;
  state.captureSeq = (state.captureSeq ?? 0) + 1;
  versions.push({ seq: state.captureSeq, value });
}

/** The capture sequence number now: what a task starting now records as its `capturedSeq`. */
export function captureSeqOf(state: StateFile): number {
  return state.captureSeq ?? 0;
}

/**
 * The captured values as they were at capture sequence `seq`: for each key its last version
 * captured at or before `seq` (a key captured later is absent). `seq` undefined: the values now.
 */
export function capturedAsOf(state: StateFile, seq: number | undefined): Record<string, unknown> {
  if (seq === undefined || seq >= captureSeqOf(state)) return state.captured;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(state.captured)) {
    const versions = state.capturedHistory?.[key];
    // NOTE: a key without history was captured before histories were kept: it counts as seq 0.
    if (!versions) {
      out[key] = state.captured[key];
      continue;
    }
    const v = versions.filter((x) => x.seq <= seq).pop();
    if (v) out[key] = v.value;
  }
  return out;
}

/** A JSON copy of a value to capture; refuses anything holding a secret (state files are not secret). */
export function capturable(key: string, value: unknown, secrets: string[]): unknown {
  const json = JSON.stringify(value);
  if (json === undefined) throw new AnvilError(`capture ${key}: value is not JSON`);
  if (redact(json, secrets) !== json)
    throw new AnvilError(
      `capture ${key}: the value read from the node contains the text of one of the answers' passwords, so it cannot be stored in the state file (it would have to be masked and would then be wrong)`,
      'a password must not be a piece of what the nodes print (MACs, sizes, names): change that password in the answers and on its device',
    );
  return JSON.parse(json) as unknown;
}
