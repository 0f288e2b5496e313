/**
 * `anvil-install check`: the drift report of an install (every done task's verify run again,
 * read-only, per step, task and node), and `check --only STEP --force`: re-apply one done step.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AnvilError, UsageError } from '../errors.js';
import { say, warn } from '../output.js';
import { loadAnswers } from '../plan/load.js';
import type { Answers } from '../plan/schema.js';
import { secretValues } from '../plan/derive.js';
import { Journal } from '../state/journal.js';
import { RunLog } from '../engine/run-log.js';
import { DEFAULT_STATE_DIR, LOCK_FILE, LockHeld, StateStore } from '../state/store.js';
import { checkStepRange } from '../report/context.js';
import { DriftReport } from '../report/drift-text.js';
import {
  checkDrift,
  driftCounts,
  notCheckedReason,
  repairSteps,
  type DriftCounts,
  type DriftFinding,
} from '../engine/drift.js';
import { planWithCaptured } from '../engine/captured.js';
import { nodeKeys } from '../engine/summary.js';
import type { Step } from '../engine/types.js';
import type { RunResult } from '../engine/runner.js';
import { clock, readOnlyClock, useClock } from '../util/clock.js';
import { STEPS } from '../../steps/index.js';
import { answersHash, defaultTransportFactory, executeRun, promptTerminal, type RunDeps } from './install.js';
import { EXIT, EXIT_CODES_TEXT, exitCodeFor } from './exit-codes.js';
import { withSignalGuard, type SignalGuard } from './interrupt.js';

/** Options of `check`. */
export interface CheckOptions {
  state?: string;
  /** Check (or with `force`, re-apply) this step only. */
  only?: string;
  /** With `only`: re-apply that step instead of checking it. */
  force?: boolean;
  /** With `force`: approve every change the re-apply shows. */
  yes?: boolean;
  /** The report as one JSON object on stdout (progress and notes on stderr). */
  json?: boolean;
  /** Check on this node only: its records' verifies (the other node's are left out). */
  limit?: string;
}

/** What `check` did: a drift report, or (`--force`) the re-apply run. */
export type CheckResult =
  { kind: 'report'; findings: DriftFinding[]; counts: DriftCounts } | { kind: 'reapply'; run: RunResult };

/** The exit code of a check: 7 on drift, 1 when some task could not be checked, else 0; a re-apply's as `install`'s. */
export function checkExitCode(r: CheckResult): number {
  if (r.kind === 'reapply') return exitCodeFor(r.run.outcome);
  return r.counts.drift ? EXIT.drift : r.counts.error ? EXIT.failed : EXIT.ok;
}

/** Open the state folder; one that a running install holds is refused with why. */
function openState(dir: string): StateStore {
  try {
    return StateStore.open(dir);
  } catch (e) {
    if (!(e instanceof LockHeld)) throw e;
    throw new AnvilError(
      `${e.message}: a check now would read nodes that run is changing`,
      `wait for it to finish, then check again (\`anvil-install status --state ${dir}\` shows where it stands); if no such process exists, delete ${join(resolve(dir), LOCK_FILE)}`,
    );
  }
}

/** Run `check`. */
export async function check(o: CheckOptions, deps: RunDeps = {}): Promise<CheckResult> {
  return withSignalGuard(deps, (guard) => checkGuarded(o, deps, guard));
}

async function checkGuarded(o: CheckOptions, deps: RunDeps, guard: SignalGuard): Promise<CheckResult> {
  const steps = deps.steps ?? STEPS;
  const dir = o.state ?? DEFAULT_STATE_DIR;
  // NOTE: before the state folder is opened: a wrong flag costs nothing.
  if (o.force && !o.only)
    throw new UsageError(
      'check --force re-applies one step: name it with --only STEP',
      `anvil-install check --state ${dir} --only STEP --force (steps: ${steps.map((s) => s.id).join(', ')})`,
    );
  if (o.force && o.limit)
    throw new UsageError(
      'check --limit NODE checks one node; a re-apply (--force) runs the step as an install does, on the nodes it names',
      `drop one of them: anvil-install check --state ${dir} --limit ${o.limit}`,
    );
  if (o.force && o.json)
    throw new UsageError(
      'check --json is the report; --force re-applies a step (an install run, with its own screens)',
      `drop one of them: anvil-install check --state ${dir} --json`,
    );
  checkStepRange({ only: o.only }, steps);
  const store = openState(dir);
  // NOTE: a drift report changes nothing, so there is nothing to resume; a re-apply is a run (see executeRun).
  guard.attach(store, o.force ? undefined : 'check interrupted; nothing was changed');
  try {
    const file = store.state.answersFile;
    if (!file)
      throw new AnvilError(
        `${store.dir} records no answers file`,
        'start with `anvil-install install --answers FILE --state DIR`',
      );
    const answers = loadAnswers(file, deps.env ?? process.env);
    if (o.limit && !answers.nodes.some((n) => n.name === o.limit))
      throw new UsageError(
        `--limit ${o.limit}: no such node`,
        `the nodes are ${answers.nodes.map((n) => n.name).join(', ')}`,
      );
    const changed = !!store.state.answersHash && store.state.answersHash !== answersHash(answers);
    if (o.force)
      return { kind: 'reapply', run: await reapply(store, answers, file, o.only!, o.yes, changed, steps, deps) };
    // NOTE: nothing a check does is written to the state file.
    store.freeze();
    if (changed)
      (o.json ? warn : say)(
        `note: ${file} changed since the last run; the nodes are compared with the answers as they are now`,
      );
    return await report(store, answers, file, o.only, steps, deps, o.json, o.limit);
  } finally {
    store.close();
  }
}

/** `--only STEP --force`: an install run of that step alone, its done tasks re-opened. */
async function reapply(
  store: StateStore,
  answers: Answers,
  file: string,
  only: string,
  yes: boolean | undefined,
  changed: boolean,
  steps: readonly Step[],
  deps: RunDeps,
): Promise<RunResult> {
  const step = steps.find((s) => s.id === only)!;
  const nodes = answers.nodes.map((n) => n.name);
  if (!step.tasks.some((t) => nodeKeys(t.on, nodes).some((k) => store.state.tasks[t.id]?.[k]?.status === 'done')))
    throw new AnvilError(
      `${only} has no done task to re-apply`,
      `carry on the install instead: anvil-install resume --state ${store.dir}`,
    );
  if (changed) {
    say(`note: ${file} changed since the last run; the step is re-applied with the answers as they are now`);
    store.state.answersHash = answersHash(answers);
    store.save();
  }
  const command = `check --state ${store.dir} --only ${only} --force${yes ? ' --yes' : ''}`;
  return executeRun(
    store,
    answers,
    { only, reapply: true, yes, lab: !!store.state.lab, answersFile: file, command },
    deps,
  );
}

/** The drift report: connect (only when there is something to check), run the verifies, print as they come. */
async function report(
  store: StateStore,
  answers: Answers,
  file: string,
  only: string | undefined,
  steps: readonly Step[],
  deps: RunDeps,
  json = false,
  limit?: string,
): Promise<CheckResult> {
  const selected = only ? steps.filter((s) => s.id === only) : steps;
  const nodes = answers.nodes.map((n) => n.name);
  const mine = (k: string) => !limit || k === limit;
  const lab = !!store.state.lab;
  // NOTE: the drift report is kept in the install's log too (what was seen, when).
  const log = new RunLog(
    store.dir,
    secretValues(answers),
    `anvil-install check${only ? ` --only ${only}` : ''}${limit ? ` --limit ${limit}` : ''}`,
  );
  const out = new DriftReport(selected, store.state, nodes, (l) => {
    log.write(l);
    if (!json) say(l);
  });
  if (!json)
    say(
      `check of ${store.dir} (answers: ${file}${lab ? '; the lab' : ''}): every done task's verify${limit ? ` on ${limit}` : ''}, read-only`,
    );
  const toVerify = selected.some((s) =>
    s.tasks.some((t) => nodeKeys(t.on, nodes).some((k) => mine(k) && !notCheckedReason(t, store.state, k))),
  );
  let findings: DriftFinding[];
  if (!toVerify) {
    // NOTE: nothing done with a verify: no connection needed (nor a lab started).
    findings = await checkDrift({
      answers,
      steps: selected,
      state: store.state,
      transports: {},
      limit,
      onStep: (s) => out.step(s),
      onFinding: (f) => out.finding(f),
    });
  } else {
    const conn = await (deps.transportFactory ?? defaultTransportFactory)({
      answers,
      stateDir: store.dir,
      lab,
      interactive: deps.interactive ?? !!promptTerminal(),
      answersFile: file,
      unattendedReason: 'there is no terminal to ask on',
      log: (node, m) => warn(`  ${m.startsWith(`${node}:`) ? m : `${node}: ${m}`}`),
      sshConfig: deps.sshConfig,
      ask: deps.ask,
      readOnly: true,
    });
    // NOTE: the verifies' polls see the nodes as they are now: no time passes on the lab (nor its timers).
    const restoreClock = useClock(readOnlyClock(conn.lab ? conn.lab.clock : clock()));
    try {
      findings = await checkDrift({
        answers,
        steps: selected,
        state: store.state,
        transports: conn.transports,
        journal: new Journal(store.journalFile, secretValues(answers)),
        limit,
        onStep: (s) => out.step(s),
        onFinding: (f) => out.finding(f),
      });
    } finally {
      restoreClock();
      await conn.close();
    }
  }
  // NOTE: a drifted file is repaired by the step that owns its final form, never by an earlier stage of it.
  const plan = planWithCaptured(answers, store.state.captured);
  out.summary(findings, store.dir, repairSteps(findings, steps, plan, store.state));
  const counts = driftCounts(findings);
  log.close(`check (exit ${counts.drift ? EXIT.drift : counts.error ? EXIT.failed : EXIT.ok})`);
  if (json)
    say(
      JSON.stringify(
        {
          format: 'anvil-install.check/1',
          stateDir: store.dir,
          answersFile: file,
          lab,
          ...(limit ? { limit } : {}),
          counts,
          findings,
        },
        null,
        2,
      ),
    );
  return { kind: 'report', findings, counts };
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('check')
    .description("drift report: every done task's verify again, read-only (--only STEP --force: re-apply a step)")
    .option('--state <dir>', 'state folder of the install', DEFAULT_STATE_DIR)
    .option('--only <step>', 'check this step only (with --force: re-apply it)')
    .option('--force', 'with --only STEP: re-apply that done step (an install run of it, its tasks re-opened)')
    .option('-y, --yes', 'with --force: approve every change the re-apply shows')
    .option('--json', 'print the report as one JSON object (format anvil-install.check/1); exit codes as without it')
    .option('--limit <node>', "check on this node only (its records' verifies; the other node's are left out)")
    .addHelpText(
      'after',
      `
Without --force nothing is changed: for every task the install recorded as done, its verify reads
the nodes again (the same checks the install ran after each task), and the report shows per step,
task and node: ok (with what was seen), DRIFT (what the verify saw, and what it expected), or not
checked (not done yet, no verify, or an operator test: a gate's test such as a fence test is never
run again; its verify is, when it has one). Every command it runs is in DIR/journal.jsonl (as
check:<task>); the state file is not touched. Exit 7 when something drifted.

--only STEP --force re-applies that step as an install would: its files are diffed and approved
again (--yes approves them), its commands run, its verifies must pass. Destructive tasks run only
if their probe says they did not happen; first-build transitions and operator gates are kept.

Examples:
  $ anvil-install check --state .anvil
  $ anvil-install check --state .anvil --only hosts
  $ anvil-install check --state .anvil --limit an-node02
  $ anvil-install check --state .anvil --only hosts --force --yes
  $ anvil-install check --state .anvil --json | jq '.findings[] | select(.status == "drift")'

${EXIT_CODES_TEXT}`,
    )
    .action(async (opts: CheckOptions) => {
      process.exitCode = checkExitCode(await check(opts));
    });
}
