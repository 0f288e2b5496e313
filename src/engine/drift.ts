/**
 * Drift: what changed on the nodes since the install. Every task recorded `done` has its `verify`
 * run again, read-only (see verify-context.ts), and the result kept per step, task and node. Gates
 * are never driven again (their tests crash nodes); tasks without a verify are reported as not
 * checked. Nothing here knows what a task checks, and nothing is written to the state file.
 */
import type { Answers } from '../plan/schema.js';
import { redact, secretValues, type Plan } from '../plan/derive.js';
import type { Transport } from '../remote/types.js';
import type { StateFile } from '../state/types.js';
import type { Journal } from '../state/journal.js';
import { AnvilError, CommandFailed, VerifyFailed, type Cause } from '../errors.js';
import { planWithCaptured } from './captured.js';
import { nodeKeys } from './summary.js';
import type { Step, Task } from './types.js';
import { verifyContext } from './verify-context.js';

/** How one task stands on one node. */
export type DriftStatus = 'ok' | 'drift' | 'error' | 'not-checked';

/** The result of one task on one node (or `local`). */
export interface DriftFinding {
  step: string;
  task: string;
  /** Node name, or `local`. */
  node: string;
  status: DriftStatus;
  /**
   * ok: the verify's evidence summary; drift: what the verify saw; error: why it could not check;
   * not-checked: why not. Secrets masked.
   */
  detail: string;
  /** drift found by a `VerifyFailed`: what the verify expected. */
  expected?: string;
  /** not-checked: why, as a key (the text is in `detail`). */
  why?: NotChecked;
  /** drift: where what the verify saw comes from, when it can tell (see `Cause`). */
  causes?: Cause[];
}

/** Why a record is not checked: not done, skipped (an accepted gate), an operator test without a verify, a first-build transition, or no verify. */
export type NotChecked = 'not-done' | 'skipped' | 'operator-test' | 'first-build' | 'no-verify';

/** What a drift check needs. */
export interface DriftOptions {
  answers: Answers;
  steps: readonly Step[];
  /** The install's state (read, never changed). */
  state: StateFile;
  /** A connection per node name. */
  transports: Record<string, Transport>;
  /** Where the verifies' commands are journaled (as `check:<task id>`). */
  journal?: Journal;
  /** Check this step only. */
  only?: string;
  /** Check on this node only (its records; the other node's and `local` ones are left out). */
  limit?: string;
  /** Per-command timeout, ms. */
  commandTimeoutMs?: number;
  /** Called before each step is checked (progress). */
  onStep?(step: Step): void;
  /** Called with each result as soon as it is known (progress). */
  onFinding?(f: DriftFinding): void;
}

/** Why a task's record on a node is not checked, or undefined when its verify is to run. */
export function notCheckedReason(
  task: Task,
  state: StateFile,
  key: string,
): { why: NotChecked; text: string } | undefined {
  const status = state.tasks[task.id]?.[key]?.status ?? 'pending';
  if (status === 'skipped') return { why: 'skipped', text: 'skipped, never done: nothing to compare' };
  if (status !== 'done') {
    const text = { pending: 'not done yet', running: 'not done (interrupted)', failed: 'not done (failed)' }[status];
    return { why: 'not-done', text: `${text}: nothing to compare` };
  }
  // NOTE: a gate's drive is its test (a fence, a pulled cable): re-running it would crash nodes.
  if (task.kind === 'gate' && !task.verify) return { why: 'operator-test', text: 'not re-checked (operator test)' };
  // NOTE: its verify checks a state that later steps replace (DRBD stopped before rgmanager takes it over).
  if (task.firstBuildOnly)
    return {
      why: 'first-build',
      text: `one-time transition of the first build (${task.firstBuildOnly}), not a lasting state`,
    };
  if (!task.verify) return { why: 'no-verify', text: 'no verify declared' };
  return undefined;
}

/** Run the verify of every done task of the steps (or of `only`), in order; one result per task and node. */
export async function checkDrift(o: DriftOptions): Promise<DriftFinding[]> {
  const plan = planWithCaptured(o.answers, o.state.captured);
  const nodes = plan.nodes.map((n) => n.name);
  const secrets = secretValues(o.answers);
  const steps = o.only ? o.steps.filter((s) => s.id === o.only) : o.steps;
  if (o.only && !steps.length)
    throw new AnvilError(`--only ${o.only}: no such step`, `steps are: ${o.steps.map((s) => s.id).join(', ')}`);
  const out: DriftFinding[] = [];
  const report = (f: DriftFinding) => {
    out.push(f);
    o.onFinding?.(f);
  };
  for (const step of steps) {
    o.onStep?.(step);
    for (const task of step.tasks)
      for (const key of nodeKeys(task.on, nodes)) {
        if (o.limit && key !== o.limit) continue;
        const base = { step: step.id, task: task.id, node: key };
        const why = notCheckedReason(task, o.state, key);
        if (why) {
          report({ ...base, status: 'not-checked', detail: why.text, why: why.why });
          continue;
        }
        // NOTE: a `local` task reads the nodes through node 1, as in a run.
        const ctx = verifyContext({
          plan,
          node: key === 'local' ? plan.nodes[0] : plan.node(key),
          transports: o.transports,
          task: task.id,
          journalTask: `check:${task.id}`,
          journal: o.journal,
          secrets,
          captured: o.state.captured,
          commandTimeoutMs: o.commandTimeoutMs,
        });
        try {
          const ev = await task.verify!(ctx);
          report({ ...base, status: 'ok', detail: redact(ev.summary, secrets) });
        } catch (e) {
          report({ ...base, ...verifyFailure(e, task.id, key, secrets) });
        }
      }
  }
  return out;
}

/** What a failed verify means: drift when it saw the node differ, an error when it could not look. */
export function verifyFailure(
  e: unknown,
  task: string,
  node: string,
  secrets: string[],
): Pick<DriftFinding, 'status' | 'detail' | 'expected' | 'causes'> {
  const r = (s: string) => redact(s, secrets);
  // NOTE: some verifies look at the peer too (a copied file, the other node's membership): name it then.
  if (e instanceof VerifyFailed)
    return {
      status: 'drift',
      detail: r(e.node && e.node !== node ? `${e.node}: ${e.seen}` : e.seen),
      expected: r(e.expected),
      ...(e.causes.length ? { causes: e.causes.map((c) => ({ ...c, text: r(c.text) })) } : {}),
    };
  // NOTE: a verify's read command failing (e.g. `getent hosts` missing a name) is a finding too.
  if (e instanceof CommandFailed) return { status: 'drift', detail: r(stripPrefix(e.message, node)) };
  if (e instanceof AnvilError)
    return { status: 'error', detail: r(stripPrefix(stripPrefix(e.message, `${task} on ${node}`), node)) };
  return { status: 'error', detail: `internal error in the verify: ${r((e as Error)?.message ?? String(e))}` };
}

function stripPrefix(message: string, prefix: string): string {
  return message.startsWith(`${prefix}: `) ? message.slice(prefix.length + 2) : message;
}

/** A drift that only hands can mend: every cause of it is hardware (re-applying a step cannot). */
export function hardwareOnly(f: DriftFinding): boolean {
  return !!f.causes?.length && f.causes.every((c) => c.hardware);
}

/**
 * The causes of a check's drifts, each once, in the order first seen: the words each check used for
 * it (distinct), and every (task, node) that saw it.
 */
export function driftCauses(
  findings: readonly DriftFinding[],
): { cause: Cause; texts: string[]; seenBy: DriftFinding[] }[] {
  const out = new Map<string, { cause: Cause; texts: string[]; seenBy: DriftFinding[] }>();
  for (const f of findings) {
    if (f.status !== 'drift') continue;
    // NOTE: a drift whose verify cannot tell its cause is a cause of its own.
    const causes = f.causes?.length ? f.causes : [{ key: `${f.task}\0${f.node}`, text: f.detail }];
    for (const c of causes) {
      const had = out.get(c.key);
      if (!had) out.set(c.key, { cause: c, texts: [c.text], seenBy: [f] });
      else {
        if (!had.seenBy.includes(f)) had.seenBy.push(f);
        if (!had.texts.includes(c.text)) had.texts.push(c.text);
        had.cause.hardware ||= c.hardware;
      }
    }
  }
  return [...out.values()];
}

/** Counts of a check's results. */
export interface DriftCounts {
  ok: number;
  drift: number;
  error: number;
  notChecked: number;
  /** Steps with at least one drifted task, in order. */
  driftedSteps: string[];
}

/** Count a check's results. */
export function driftCounts(findings: readonly DriftFinding[]): DriftCounts {
  const n = (s: DriftStatus) => findings.filter((f) => f.status === s).length;
  return {
    ok: n('ok'),
    drift: n('drift'),
    error: n('error'),
    notChecked: n('not-checked'),
    driftedSteps: [...new Set(findings.filter((f) => f.status === 'drift').map((f) => f.step))],
  };
}

/**
 * The steps to re-apply for the drifts found, in order: for a drift of a file (one the task writes,
 * or `concerns`), the last step whose done task writes that file on that node, i.e. the step that
 * owns its final form (cluster.conf, written at three stages, is repaired by the last one, never by
 * re-writing an earlier form); otherwise the drifted task's own step. Gates are left out (a re-apply
 * keeps them).
 */
export function repairSteps(
  findings: readonly DriftFinding[],
  steps: readonly Step[],
  plan: Plan,
  state: StateFile,
): string[] {
  const out: string[] = [];
  const pathsOf = (t: Task, node: string): string[] => {
    if (node === 'local') return [];
    try {
      return [...(t.files?.(plan, plan.node(node)) ?? []).map((f) => f.path), ...(t.concerns ? [t.concerns] : [])];
    } catch {
      return t.concerns ? [t.concerns] : [];
    }
  };
  for (const f of findings) {
    if (f.status !== 'drift' || hardwareOnly(f)) continue;
    const task = steps.flatMap((s) => s.tasks).find((t) => t.id === f.task);
    if (!task || task.kind === 'gate') continue;
    let owner = f.step;
    for (const path of pathsOf(task, f.node))
      for (const s of steps)
        for (const t of s.tasks)
          if (t.files && state.tasks[t.id]?.[f.node]?.status === 'done' && pathsOf(t, f.node).includes(path)) {
            if (steps.indexOf(s) > steps.findIndex((x) => x.id === owner)) owner = s.id;
          }
    if (!out.includes(owner)) out.push(owner);
  }
  return steps.map((s) => s.id).filter((id) => out.includes(id));
}
