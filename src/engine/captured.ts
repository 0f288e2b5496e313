/**
 * Values tasks discover on the nodes (`ctx.capture`) that feed the plan: the MACs of each node
 * (`nics.<node>`) and the start of the free disk space (`partitions.freeStart`).
 */
import type { Answers } from '../plan/schema.js';
import { derivePlan, type Plan } from '../plan/derive.js';
import { AnvilError } from '../errors.js';
import { redact } from '../plan/derive.js';

/** Capture key of a node's MACs: `{ bcn: [l1, l2], sn: [...], ifn: [...] }`. */
export const nicsKey = (node: string) => `nics.${node}`;
/** Capture key of the parted start of the free space (e.g. "47.5GB"). */
export const FREE_START_KEY = 'partitions.freeStart';

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
