/**
 * `anvil-install install`: run the install against the two nodes (or the lab), checkpointing into
 * a state folder. Also holds what `resume` shares: opening connections (`TransportFactory`, the
 * injection point tests use for in-memory nodes), Ctrl-C handling and the closing summary.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { AnvilError, CommandFailed, PromptCancelled, UsageError, VerifyFailed } from '../errors.js';
import { output, say, setOutput } from '../output.js';
import { loadAnswers } from '../plan/load.js';
import type { Answers } from '../plan/schema.js';
import { maskAnswers, secretValues } from '../plan/derive.js';
import { RunLog } from '../engine/run-log.js';
import { addJournalWrites, leftoverCandidates, removeLeftovers } from '../engine/leftovers.js';
import { planWithCaptured } from '../engine/captured.js';
import { createNodeHandle } from '../engine/node-handle.js';
import { Journal, parseJournal } from '../state/journal.js';
import { existsSync, readFileSync } from 'node:fs';
import { checkStepRange } from '../report/context.js';
import { ensureDir } from '../util/ensure-dir.js';
import { EXIT, EXIT_CODES_TEXT, exitCodeFor } from './exit-codes.js';
import type { Transport } from '../remote/types.js';
import type { Prompter, Step } from '../engine/types.js';
import { Runner, summaryLines, type RendererName, type RunResult, type RunnerOptions } from '../engine/runner.js';
import { DEFAULT_STATE_DIR, StateStore } from '../state/store.js';
import { STEPS } from '../../steps/index.js';
import { clock, readOnlyClock, useClock, type Clock } from '../util/clock.js';
import { ConnectionFailed } from '../remote/errors.js';
import { labHands } from '../engine/hands.js';
import { checkLines, checkSummary } from '../engine/dry-run.js';
import { wantColor } from '../engine/approval.js';
import type { LabController } from '../lab/server/lab-controller.js';
import { processGone } from '../util/pid.js';
import { Interrupted, withSignalGuard, type SignalDeps, type SignalGuard } from './interrupt.js';

/** Open connections to the nodes, by node name, and how to close them. */
export interface TransportSet {
  transports: Record<string, Transport>;
  close(): Promise<void>;
  /** Steps this target can execute when it cannot run them all (the lab); absent = all. */
  executableSteps?: readonly string[];
  /** The lab's clock and faults, when the target is the lab. */
  lab?: LabController;
}

/** What a transport factory is given. */
export interface TransportRequest {
  answers: Answers;
  /** The install's state folder (known_hosts lives here; the lab under `lab/`). */
  stateDir: string;
  /** Use the simulated node pair. */
  lab: boolean;
  /** Whether the operator can be asked (host keys on first contact, passwords). */
  interactive: boolean;
  answersFile?: string;
  /** Why nobody is asked when `interactive` is false (for messages): `--yes`, or no terminal. */
  unattendedReason?: string;
  /** Progress notes of the connections (reconnects, silences), by node; never secrets. */
  log?: (node: string, message: string) => void;
  /**
   * Why nodes may be down at the start (an interrupted test the tool drives, whose first act brings
   * them back): a node that cannot be reached is then noted, not an error.
   */
  mayBeDown?: string;
  /** Where the operator's OpenSSH config and keys are (tests); default ~/.ssh. */
  sshConfig?: import('../remote/ssh-config.js').SshConfigSource;
  /** Asks a question at connect time (host keys, passwords); default the terminal (tests: a script). */
  ask?: AskFn;
  /**
   * A dry run or drift check: on the lab, a node that does not answer is not waited for in lab time
   * (which would fire the lab's timers: a dry run changes nothing, its clock included).
   */
  readOnly?: boolean;
}

/** Makes the connections for a run: real SSH, the lab, or (tests) in-memory nodes. */
export type TransportFactory = (r: TransportRequest) => Promise<TransportSet>;

/** Injection points (tests) and environment of a run. */
export interface RunDeps extends SignalDeps {
  transportFactory?: TransportFactory;
  steps?: readonly Step[];
  prompter?: Prompter;
  renderer?: RendererName;
  env?: NodeJS.ProcessEnv;
  /** Whether a terminal can be asked; default: stdout and stdin are TTYs. */
  interactive?: boolean;
  /** Where the operator's OpenSSH config and keys are (tests); default ~/.ssh. */
  sshConfig?: import('../remote/ssh-config.js').SshConfigSource;
  /** Asks a question at connect time (host keys, passwords); default the terminal (tests: a script). */
  ask?: AskFn;
}

export { Interrupted } from './interrupt.js';

/** Options of `install`. */
export interface InstallOptions {
  answers: string;
  state?: string;
  yes?: boolean;
  lab?: boolean;
  acceptGates?: boolean;
  from?: string;
  to?: string;
  only?: string;
  force?: boolean;
  /** A live dry run: read the nodes, show what each step would do, change nothing. */
  check?: boolean;
  /** Steps whose tests run again although done (each only from a safe state). */
  retest?: string[];
  /** Run on this node only (steps whose part on each node stands alone). */
  limit?: string;
}

/** sha256 of the masked answers (recorded in the state; never the secrets themselves). */
export function answersHash(a: Answers): string {
  return createHash('sha256')
    .update(JSON.stringify(maskAnswers(a)))
    .digest('hex');
}

/**
 * Where questions are drawn: stdout when it is a terminal, else stderr when that is one (so
 * `install … | tee install.txt` still asks on the terminal); undefined when neither is.
 */
export function promptTerminal(): NodeJS.WriteStream | undefined {
  if (!process.stdin.isTTY || process.env.CI) return undefined;
  if (process.stdout.isTTY) return process.stdout;
  if (process.stderr.isTTY) return process.stderr;
  return undefined;
}

function isInteractive(deps: RunDeps): boolean {
  return deps.interactive ?? !!promptTerminal();
}

/** Without --yes the operator approves changes: refuse early (before touching the state) when nobody can be asked. */
export function checkCanAsk(yes: boolean | undefined, deps: RunDeps): void {
  if (!yes && !isInteractive(deps) && !deps.prompter)
    throw new AnvilError(
      'no terminal to ask on: changes cannot be approved here',
      'run it in a terminal, or pass --yes (approve every change, stop at operator gates)',
    );
}

/** Asks one question (enquirer's question object: type, message, initial) and resolves with the answer. */
export type AskFn = <T>(question: Record<string, unknown>) => Promise<T>;

/** The first-contact host key question: the node by name and address, its key type and fingerprint. */
export function hostKeyQuestion(who: string, type: string, fp: string): string {
  return `${who} presents ${type} key ${fp}. Trust it?`;
}

/** Ask a question outside any listr task (host keys, passwords at connect time). */
async function askOnTerminal<T>(question: Record<string, unknown>): Promise<T> {
  const { default: Enquirer } = await import('enquirer');
  const stdout = promptTerminal();
  const r = (await new Enquirer().prompt({ name: 'v', ...question, ...(stdout ? { stdout } : {}) } as never)) as {
    v: T;
  };
  return r.v;
}

/** A node's name with its address, as questions name it: `an-node01 (10.20.0.1)`, `an-node01 (127.0.0.1:2222)`. */
export function nodeLabel(name: string, host: string, port = 22): string {
  const addr = port === 22 ? host : `${host}:${port}`;
  return addr === name ? name : `${name} (${addr})`;
}

/** Connections over SSH (`NodeSession`, loaded lazily), connected before the run starts. */
async function sshTransports(r: TransportRequest): Promise<TransportSet> {
  let mod: typeof import('../remote/node-session.js');
  try {
    mod = await import('../remote/node-session.js');
  } catch (e) {
    throw new AnvilError(`the SSH transport is not available in this build: ${(e as Error).message}`);
  }
  const { resolveTarget } = await import('../remote/ssh-target.js');
  const home = r.sshConfig?.home ?? homedir();
  const ask: AskFn = r.ask ?? askOnTerminal;
  const knownHostsFile = join(r.stateDir, 'known_hosts');
  const userKnownHostsFiles = [join(home, '.ssh', 'known_hosts')];
  // NOTE: in memory only, for the reconnects of this run (network restart, reboot): asked once.
  const passwords = new Map<string, string>();
  const askPassword = (label: string, given?: string) =>
    given
      ? async () => given
      : r.interactive
        ? async (_n: string, attempt: number) => {
            if (attempt === 1 && passwords.has(label)) return passwords.get(label)!;
            const pw = await ask<string>({
              type: 'password',
              message: `password of ${label}${attempt > 1 ? ` (try ${attempt} of 3)` : ''}`,
            });
            passwords.set(label, pw);
            return pw;
          }
        : undefined;
  const askPassphrase = r.interactive
    ? (file: string, attempt: number) =>
        ask<string>({
          type: 'password',
          message: `passphrase for key ${file}${attempt > 1 ? ` (try ${attempt} of 3)` : ''}`,
        })
    : undefined;
  const confirmAs = (who: string) =>
    r.interactive
      ? (_h: string, fp: string, type: string) =>
          ask<boolean>({ type: 'confirm', message: hostKeyQuestion(who, type, fp), initial: false })
      : undefined;
  const bastions = new Map<string, InstanceType<typeof mod.NodeSession>>();
  const sessions = r.answers.nodes.map((n) => {
    const t = resolveTarget(n.name, n.ssh, r.sshConfig);
    // NOTE: one session per bastion, shared by both nodes; each hop goes through the one before.
    let jump: InstanceType<typeof mod.NodeSession> | undefined;
    for (const h of t.jumps) {
      const key = `${h.user}@${h.host}:${h.port}${jump ? ` via ${jump.target}` : ''}`;
      let b = bastions.get(key);
      if (!b) {
        const label = `${h.user}@${nodeLabel(h.alias, h.host, h.port)}`;
        b = new mod.NodeSession({
          name: `bastion ${h.alias}`,
          host: h.host,
          port: h.port,
          user: h.user,
          identityFiles: h.identityFiles,
          agent: h.agent ? undefined : false,
          askPassphrase,
          askPassword: askPassword(label),
          jump,
          log: (m) => r.log?.(n.name, m),
          hostKeys: {
            knownHostsFile,
            userKnownHostsFiles,
            confirm: confirmAs(`bastion ${nodeLabel(h.alias, h.host, h.port)}`),
            unattendedReason: r.unattendedReason,
          },
        });
        bastions.set(key, b);
      }
      jump = b;
    }
    const label = nodeLabel(n.name, t.host, t.port);
    return new mod.NodeSession({
      name: n.name,
      host: t.host,
      port: t.port,
      user: t.user,
      identityFiles: t.identityFiles,
      agent: t.agent ? undefined : false,
      askPassphrase,
      askPassword: askPassword(`${t.user}@${label}`, n.ssh.password),
      jump,
      log: (m) => r.log?.(n.name, m),
      hostKeys: {
        pinned: n.ssh.hostKey,
        knownHostsFile,
        userKnownHostsFiles,
        confirm: confirmAs(label),
        unattendedReason: r.unattendedReason,
      },
    });
  });
  const closeAll = async () => {
    await Promise.allSettled(sessions.map((s) => s.close()));
    await Promise.allSettled([...bastions.values()].map((s) => s.close()));
  };
  try {
    // NOTE: one at a time: a first-contact host key question must not overlap another.
    for (const s of sessions) await connectOrNote(s.name, () => s.connect(), r);
  } catch (e) {
    await closeAll();
    throw e;
  }
  return { transports: Object.fromEntries(sessions.map((s) => [s.name, s])), close: closeAll };
}

/**
 * Connect to a node; when nodes may be down (`r.mayBeDown`), a node that cannot be reached is noted
 * and the run goes on: its session connects when first used.
 */
async function connectOrNote(name: string, connect: () => Promise<unknown>, r: TransportRequest): Promise<void> {
  try {
    await connect();
  } catch (e) {
    if (!r.mayBeDown || !(e instanceof ConnectionFailed)) throw e;
    r.log?.(name, `${e.message}; carrying on: ${r.mayBeDown}`);
  }
}

/** What `connectOnLab` needs of a session. */
interface Connectable {
  name: string;
  connect(timeoutMs: number): Promise<unknown>;
}

/**
 * Connect to a lab node, letting lab time pass while it does not answer: an install killed in the
 * middle of a test may have left a node hung or rebooting; the lab fences or boots it in lab time.
 */
async function connectOnLab(s: Connectable, labClock: Clock, withinMs = 20 * 60_000, readOnly = false): Promise<void> {
  // NOTE: a read-only run (install --check) lets no lab time pass: one try.
  const end = labClock.now() + (readOnly ? 0 : withinMs);
  for (;;) {
    try {
      await s.connect(3_000);
      return;
    } catch (e) {
      if (!(e instanceof ConnectionFailed) || readOnly || labClock.now() > end) throw e;
      await labClock.sleep(5_000);
    }
  }
}

/**
 * Why a lab served by another process cannot answer any more, if it cannot: that process has stopped.
 * NOTE: without this, a dead lab looks like a node rebooting, and the run retries for minutes.
 */
function labGone(lab: { pid?: number | null } | null, labDir: string): { why: string; hint: string } | undefined {
  if (!lab?.pid || !processGone(lab.pid)) return undefined;
  return {
    why: `the lab process serving it (pid ${lab.pid}, ${labDir}) has stopped`,
    hint: `start the lab again (\`anvil-install lab serve --state ${labDir}\`, or let \`anvil-install resume --state ${dirname(labDir)}\` start one), then resume`,
  };
}
/** How long to let lab time pass for a node that does not answer at the start: not at all when the test waits for it. */
const downWait = (r: TransportRequest) => (r.mayBeDown ? 0 : undefined);

/** The lab (`<state>/lab`): a lab already running from that folder, or one started in this process. */
async function labTransports(r: TransportRequest): Promise<TransportSet> {
  // NOTE: the lab is part of every build and imported as any module is (DESIGN: no import by a computed
  // name); loaded on demand so that a run on real nodes does not load the simulator.
  const lab = await import('../lab/index.js');
  const labDir = join(r.stateDir, 'lab');
  const running = await lab.findRunningLab(labDir);
  const handle = running
    ? null
    : await lab.startLab({ stateDir: labDir, answers: r.answers, answersFile: r.answersFile });
  // NOTE: the kept control connection of a served lab must not outlive a failed start either.
  let closeControl = () => {};
  const stop = async () => {
    closeControl();
    if (handle) await handle.stop();
  };
  try {
    const { LAB_SIMULATED_STEPS } = await import('../lab/capabilities.js');
    const { inProcessController, remoteController } = await import('../lab/server/lab-controller.js');
    if (handle) {
      const ctl = inProcessController(handle.world);
      const transports = handle.transports();
      try {
        for (const [name, t] of Object.entries(transports))
          await connectOrNote(
            name,
            () => connectOnLab(t as unknown as Connectable, ctl.clock, downWait(r), r.readOnly),
            r,
          );
      } catch (e) {
        await Promise.allSettled(Object.values(transports).map((t) => t.close()));
        throw e;
      }
      return { transports, close: stop, executableSteps: LAB_SIMULATED_STEPS, lab: ctl };
    }
    // NOTE: one of the two is set: a lab already served from this folder, or the one started above.
    const served = (running ?? handle)!;
    const where = served as {
      nodes: Record<string, { host: string; port: number; hostKeyFingerprint: string }>;
      clientKeyPath: string;
    };
    const { NodeSession } = await import('../remote/node-session.js');
    const ctl = remoteController(served.control, where.clientKeyPath);
    closeControl = () => ctl.close();
    const sessions = r.answers.nodes.map((n) => {
      const ep = where.nodes[n.name];
      if (!ep)
        throw new AnvilError(
          `the lab has no node ${n.name} (it has ${Object.keys(where.nodes).join(', ')})`,
          `the lab in ${labDir} was built from other answers; remove that folder to rebuild it`,
        );
      return new NodeSession({
        name: n.name,
        host: ep.host,
        port: ep.port,
        user: 'root',
        privateKeyPath: where.clientKeyPath,
        agent: false,
        hostKeys: { pinned: ep.hostKeyFingerprint },
        log: (m) => r.log?.(n.name, m),
        // NOTE: reconnects follow lab time (the lab answers when a rebooting node is back).
        clock: ctl.clock,
        gone: () => labGone(running, labDir),
      });
    });
    await ctl.sync();
    for (const s of sessions) await connectOrNote(s.name, () => connectOnLab(s, ctl.clock, downWait(r), r.readOnly), r);
    return {
      transports: Object.fromEntries(sessions.map((s) => [s.name, s])),
      executableSteps: LAB_SIMULATED_STEPS,
      lab: ctl,
      close: async () => {
        await Promise.allSettled(sessions.map((s) => s.close()));
        await stop();
      },
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The default factory: the lab with `--lab`, else SSH to the nodes. */
export const defaultTransportFactory: TransportFactory = (r) => (r.lab ? labTransports(r) : sshTransports(r));

/** What `executeRun` needs besides the store and answers. */
export interface ExecuteOptions extends Pick<
  RunnerOptions,
  'yes' | 'acceptGates' | 'resumeGates' | 'from' | 'to' | 'only' | 'reapply' | 'retest' | 'limit'
> {
  lab?: boolean;
  /** `install --check`: show what each step would do; nothing is changed or recorded. */
  check?: boolean;
  answersFile?: string;
  /** The command as typed, for the log's header (no secrets). */
  command?: string;
}

/**
 * Before a run carries on: remove the temporary files (`.NAME.anvil-…`) that writes of tasks not yet
 * done (a kill between upload and rename) left on the nodes; journaled, and said on screen.
 */
async function cleanLeftovers(
  store: StateStore,
  answers: Answers,
  steps: readonly Step[],
  transports: Record<string, Transport>,
  note: (node: string, m: string) => void,
  mayBeDown?: string,
): Promise<void> {
  // NOTE: nothing was ever written by a state folder that records no task.
  if (!Object.keys(store.state.tasks).length) return;
  const plan = planWithCaptured(answers, store.state.captured);
  const secrets = secretValues(answers);
  const journal = existsSync(store.journalFile) ? parseJournal(readFileSync(store.journalFile, 'utf8')) : [];
  for (const pn of plan.nodes) {
    const c = addJournalWrites(leftoverCandidates(steps, plan, store.state, pn.name), journal, pn.name);
    const transport = transports[pn.name];
    if (!c.size || !transport) continue;
    const node = createNodeHandle({
      plan: pn,
      transport,
      journal: new Journal(store.journalFile, secrets),
      task: 'resume.leftovers',
      secrets,
    });
    let removed: string[];
    try {
      removed = await removeLeftovers(node, c);
    } catch (e) {
      // NOTE: a node an interrupted test left off keeps its leftovers until the next run.
      if (!mayBeDown || !(e instanceof ConnectionFailed)) throw e;
      note(pn.name, `leftovers not checked: ${e.message}`);
      continue;
    }
    for (const path of removed) note(pn.name, `removed ${path}, left by an interrupted write`);
  }
}

/**
 * The test the tool drives that a killed run left `running`, as the reason nodes may be down: its
 * first act brings them back (powered on, rejoined), so the run must not stop before it.
 */
function interruptedTest(store: StateStore, steps: readonly Step[]): string | undefined {
  for (const s of steps)
    for (const t of s.tasks)
      if (t.gate?.drive && Object.values(store.state.tasks[t.id] ?? {}).some((r) => r.status === 'running'))
        return `${t.id} was interrupted; it brings the nodes back first`;
  return undefined;
}

/** What the operator still has to do after a run that did not finish, for the summary. */
function pendingTodo(result: RunResult, stateDir: string): string[] {
  const s = result.stop;
  switch (result.outcome) {
    case 'gate':
      return [
        `operator action: ${s!.step}/${s!.task} on ${s!.node} (see the runbook), then: anvil-install resume --state ${stateDir}`,
      ];
    case 'not-executable':
      return [`from step ${s!.step} on, the install target cannot run the steps: follow the runbook by hand`];
    case 'failed':
      return [`fix: ${s!.message}; then: anvil-install resume --state ${stateDir}`];
    case 'skipped':
      return [
        `the steps skipped at their approval (${s!.message.replace(/^.*: /, '')}): do them by hand (see the runbook), or \`anvil-install resume --state ${stateDir}\` asks for them again`,
      ];
    default:
      return [];
  }
}

/**
 * Connect, run, print the summary, close. Throws the run's error (after the summary) when it
 * failed or was aborted; an interrupt exits 130 from the signal handler.
 */
export async function executeRun(
  store: StateStore,
  answers: Answers,
  o: ExecuteOptions,
  deps: RunDeps = {},
): Promise<RunResult> {
  checkCanAsk(o.yes || o.check, deps);
  return withSignalGuard(deps, (guard) => executeGuarded(store, answers, o, deps, guard));
}

async function executeGuarded(
  store: StateStore,
  answers: Answers,
  o: ExecuteOptions,
  deps: RunDeps,
  guard: SignalGuard,
): Promise<RunResult> {
  guard.attach(store);
  const interactive = isInteractive(deps);
  const steps = deps.steps ?? STEPS;
  const factory = deps.transportFactory ?? defaultTransportFactory;
  const runLog = new RunLog(store.dir, secretValues(answers), `anvil-install ${o.command ?? 'install'}`);
  const dropLogPart = guard.add(() => runLog.close(`interrupted (exit ${EXIT.interrupted})`));
  const screen = output();
  // NOTE: what is printed outside the progress tree (summary, notes) also goes to the log; the tree
  // itself is logged by the runner's hooks (steps, tasks, questions, notes), not as screen frames.
  setOutput(runLog.tee(screen));
  try {
    return await runLogged(store, answers, o, deps, { interactive, steps, factory, runLog, screen, guard });
  } catch (e) {
    runLog.write(
      `✖ ${(e as Error)?.message ?? String(e)}${(e as AnvilError)?.hint ? `\n  hint: ${(e as AnvilError).hint}` : ''}`,
    );
    runLog.close(`exit ${e instanceof AnvilError ? e.exitCode : EXIT.internal}`);
    throw e;
  } finally {
    dropLogPart();
    setOutput(screen);
  }
}

async function runLogged(
  store: StateStore,
  answers: Answers,
  o: ExecuteOptions,
  deps: RunDeps,
  x: {
    interactive: boolean;
    steps: readonly Step[];
    factory: TransportFactory;
    runLog: RunLog;
    screen: ReturnType<typeof output>;
    guard: SignalGuard;
  },
): Promise<RunResult> {
  const { interactive, steps, factory, runLog } = x;
  const noteOut = (node: string, m: string) => {
    runLog.note(node, m);
    // NOTE: on screen at once; inside a task the runner's display shows it there instead.
    if (!runLog.display(node, m))
      x.screen.err.write(`  ${runLog.mask(m.startsWith(`${node}:`) ? m : `${node}: ${m}`)}\n`);
  };
  const conn = await factory({
    answers,
    stateDir: store.dir,
    lab: !!o.lab,
    interactive: interactive && !o.yes,
    answersFile: o.answersFile,
    unattendedReason: o.yes ? '--yes was given, so nobody is asked' : 'there is no terminal to ask on',
    log: noteOut,
    mayBeDown: o.check ? undefined : interruptedTest(store, steps),
    sshConfig: deps.sshConfig,
    readOnly: !!o.check,
    // NOTE: connect-time questions (host keys, passwords) go to the log too; a password as ********.
    ask: async <T>(q: Record<string, unknown>): Promise<T> => {
      const message = String((q.message as string | undefined) ?? '');
      try {
        const a = await (deps.ask ?? askOnTerminal)<T>(q);
        runLog.question(
          String((q.type as string | undefined) ?? ''),
          message,
          q.type === 'confirm' ? (a ? 'yes' : 'no') : a,
          q.type === 'password',
        );
        return a;
      } catch (e) {
        runLog.unanswered(message, (e as Error)?.message ?? 'cancelled');
        throw e;
      }
    },
  });
  if (conn.executableSteps) store.state.executableSteps = [...conn.executableSteps];
  else delete store.state.executableSteps;
  let runner: Runner;
  try {
    // NOTE: a dry run removes nothing either (the leftovers are listed by the next real run).
    if (!o.check) await cleanLeftovers(store, answers, steps, conn.transports, noteOut, interruptedTest(store, steps));
    runner = new Runner({
      answers,
      steps,
      store,
      transports: conn.transports,
      yes: o.yes,
      acceptGates: o.acceptGates,
      resumeGates: o.resumeGates,
      from: o.from,
      to: o.to,
      only: o.only,
      reapply: o.reapply,
      retest: o.retest,
      limit: o.limit,
      prompter: deps.prompter,
      renderer: deps.renderer,
      ...(conn.lab ? { hands: labHands((words) => conn.lab!.fault(words)) } : {}),
      runLog,
    });
  } catch (e) {
    await conn.close();
    throw e;
  }
  if (o.check) return dryRun(runner, conn, runLog);
  // NOTE: on an interrupt remote commands still in flight are abandoned; their tasks stay `running`
  // and are verified on resume.
  const dropRunnerPart = x.guard.add(() => runner.interrupt());
  let result: RunResult;
  // NOTE: on the lab every wait of the install passes in lab time.
  const restoreClock = conn.lab ? useClock(conn.lab.clock) : () => {};
  try {
    // NOTE: the progress tree draws on the screen's own streams, not through the log's tee.
    setOutput(x.screen);
    result = await runner.run();
  } finally {
    setOutput(runLog.tee(x.screen));
    restoreClock();
    dropRunnerPart();
    await conn.close();
  }
  const runbook = `anvil-install runbook --answers ${o.answersFile ?? 'FILE'} --state ${store.dir} --out runbook.html`;
  for (const line of summaryLines(steps, store, result, runbook)) say(line);
  for (const line of runLog.summaryLines(pendingTodo(result, store.dir))) say(line);
  const code = result.error instanceof PromptCancelled ? EXIT.interrupted : exitCodeFor(result.outcome);
  // NOTE: Ctrl-C at a question reaches us as a cancelled question (the terminal is in raw mode, no
  // SIGINT): it ends as an interrupt does, with the exact command that carries on.
  if (result.error instanceof PromptCancelled) {
    const e = new Interrupted(store.dir);
    runLog.write(e.message);
    runLog.close(`${result.outcome} (exit ${code})`);
    throw e;
  }
  if (result.outcome === 'failed' || result.outcome === 'aborted') {
    const e = result.error ?? new AnvilError(result.stop?.message ?? 'the run failed');
    if (e instanceof AnvilError) {
      if (!e.hint && (e instanceof CommandFailed || e instanceof VerifyFailed))
        e.hint = `fix the cause, then: anvil-install resume --state ${store.dir}`;
      e.exitCode = code;
      // NOTE: what the CLI prints next, so the log ends as the screen does.
      runLog.write(`✖ ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`);
    }
    runLog.close(`${result.outcome} (exit ${code})`);
    if (e instanceof Error) throw e;
    throw new AnvilError('the run failed');
  }
  runLog.close(`${result.outcome} (exit ${code})`);
  if (result.outcome === 'interrupted') throw new Interrupted(store.dir);
  return result;
}

/** `install --check`: each step's screen and checks, then the closing line; the connections closed. */
async function dryRun(runner: Runner, conn: TransportSet, runLog: RunLog): Promise<RunResult> {
  // NOTE: the verifies' polls see the nodes as they are now; no time passes on the lab (nor its timers).
  const restoreClock = useClock(readOnlyClock(conn.lab ? conn.lab.clock : clock()));
  try {
    const color = wantColor(output().isTTY);
    const checks = await runner.check((c, screen) => {
      say(screen);
      for (const l of checkLines(c)) say(l);
      say('');
    }, color);
    say(checkSummary(checks));
  } finally {
    restoreClock();
    await conn.close();
  }
  runLog.close('check (exit 0)');
  return { outcome: 'complete', executed: [] };
}

/** The command as the log's header shows it. */
function installCommandLine(o: InstallOptions, answersFile: string, dir: string): string {
  const flags = [
    o.check && '--check',
    o.yes && '--yes',
    o.lab && '--lab',
    o.acceptGates && '--accept-gates',
    o.from && `--from ${o.from}`,
    o.to && `--to ${o.to}`,
    o.only && `--only ${o.only}`,
    ...(o.retest ?? []).map((s) => `--retest ${s}`),
    o.force && '--force',
    o.limit && `--limit ${o.limit}`,
  ];
  return ['install --answers', answersFile, '--state', dir, ...flags.filter(Boolean)].join(' ');
}

/** `--retest STEP`: each must name a step that holds a test (a gate task). */
function checkRetest(retest: readonly string[] | undefined, steps: readonly Step[]): void {
  for (const id of retest ?? []) {
    const s = steps.find((x) => x.id === id);
    if (s?.tasks.some((t) => t.kind === 'gate')) continue;
    throw new UsageError(
      `--retest ${id}: ${s ? 'that step holds no test' : 'no such step'}`,
      `steps with tests: ${steps
        .filter((x) => x.tasks.some((t) => t.kind === 'gate'))
        .map((x) => x.id)
        .join(', ')}`,
    );
  }
}

/** Run `install`. */
export async function install(o: InstallOptions, deps: RunDeps = {}): Promise<RunResult> {
  // NOTE: from the first line: a signal while the answers load or the lab starts also exits 130,
  // with the lock released once there is one.
  return withSignalGuard(deps, (guard) => installGuarded(o, deps, guard));
}

async function installGuarded(o: InstallOptions, deps: RunDeps, guard: SignalGuard): Promise<RunResult> {
  // NOTE: before anything is created (state folder, lab): a typo in a step id costs nothing.
  checkStepRange(o, deps.steps ?? STEPS);
  checkRetest(o.retest, deps.steps ?? STEPS);
  checkCanAsk(o.yes || o.check, deps);
  const answersFile = resolve(o.answers);
  const answers = loadAnswers(answersFile, deps.env ?? process.env);
  ensureDir(o.state ?? DEFAULT_STATE_DIR, '--state');
  const store = StateStore.open(o.state ?? DEFAULT_STATE_DIR, { create: true });
  guard.attach(store);
  try {
    const st = store.state;
    if (st.answersFile && st.answersFile !== answersFile && !o.force)
      throw new AnvilError(
        `state folder ${store.dir} belongs to ${st.answersFile}, not ${answersFile}`,
        `use another --state folder, \`anvil-install resume --state ${store.dir}\`, or --force to continue it with these answers`,
      );
    // NOTE: a dry run does not make the folder an install's: nothing is recorded.
    if (!o.check) {
      st.answersFile = answersFile;
      st.answersHash = answersHash(answers);
      // NOTE: remembered so `resume` reconnects to the same kind of nodes.
      if (o.lab) st.lab = { stateDir: join(store.dir, 'lab'), ports: st.lab?.ports ?? {} };
      else delete st.lab;
      // NOTE: on disk at once, so a wizard killed from here on can be continued with `resume`.
      store.save(true);
    }
    return await executeRun(
      store,
      answers,
      { ...o, answersFile, command: installCommandLine(o, answersFile, store.dir) },
      deps,
    );
  } finally {
    store.close();
  }
}

/** Register the command. */
export function register(program: Command): void {
  program
    .command('install')
    .description('build the cluster: run every step on both nodes (diff, approve, execute, verify, checkpoint)')
    .requiredOption('-a, --answers <file>', 'answers file (YAML)')
    .option('--state <dir>', 'state folder (checkpoint, journal, known_hosts)', DEFAULT_STATE_DIR)
    .option('-y, --yes', 'approve every change and take every default; stop at operator gates')
    .option('--accept-gates', 'with --yes: record operator gates as skipped instead of stopping there')
    .option('--lab', 'install on the simulated node pair (the lab) instead of real nodes')
    .option('--from <step>', 'start at this step (every earlier task must be done)')
    .option('--to <step>', 'stop after this step')
    .option('--only <step>', 'run this step only (every earlier task must be done)')
    .option('--force', 'continue a state folder that was started with another answers file')
    .option(
      '--limit <node>',
      'run on this node only: steps whose part on each node stands alone (e.g. --to hosts for a node that arrives later)',
    )
    .option(
      '--retest <step>',
      'run the tests of this done step again (repeatable), only from a safe state',
      (v: string, acc: string[] = []) => [...acc, v],
    )
    .option(
      '--check',
      'live dry run: connect, read the nodes, show what each step would do (diffs, commands, checks); change nothing',
    )
    .addHelpText(
      'after',
      `
The state folder keeps the checkpoint (state.json) and every remote command (journal.jsonl,
passwords masked). Interrupted? \`anvil-install resume --state DIR\` carries on where it stopped:
done tasks are skipped, destructive ones never run twice.

Every run is logged to DIR/install.log (what was shown, every question and answer, every diff
approved, skipped or refused, times per task and step; passwords masked). Questions are asked on
the terminal even when the output is piped (\`install … | tee install.txt\`).

Every step is approved before anything of it runs: its warnings, the diff of every file on each
node (the same change on both nodes shown once), its commands, reboots and network restarts; then
approve it, approve every remaining step, page through the full diff ($PAGER, else less -R), skip it
(the screen says what will then fail; exit 6 at the end) or abort (exit 5; nothing of it ran). On
real nodes a destructive task (partitioning, create-md, pvcreate, mkfs.gfs2…) also needs its node
and device typed. --yes approves everything.

A changed answer or password re-opens only the tasks whose files or commands really change, and
applies them to the running cluster the way the tutorial updates it (cluster.conf: the final form
with config_version above the running one, ccs_config_validate, \`cman_tool version -r\`). Tests,
operator gates and first-build transitions (first start of cman, DRBD stopped for the cluster to
take it over) are not repeated by a change. --retest STEP runs a done step's tests again, and only
from a safe state: e.g. the storage stop/start test is refused while guests run on the storage.

--check connects and shows, for each step, what it would do to the nodes as they are now and
whether each task's check already passes; done tasks are checked again too (their verifies, and
their files against the final form, shown as diffs), so it says whether install would change
anything. It runs only read-only probes and checks, records nothing, and on the lab lets no lab
time pass.

Without --yes, done tasks are re-checked before each step's approval: a drifted safe task is
offered again under it; a drifted destructive task or test is reported, never re-run.

Examples:
  $ anvil-install install --answers anvil.yaml
  $ anvil-install install --answers anvil.yaml --check --from network --to hosts
  $ anvil-install install --answers anvil.yaml --lab --yes --state .anvil-demo
  $ anvil-install install --answers anvil.yaml --retest fence-tests
  $ anvil-install install --answers anvil.yaml --to hosts --limit an-node01

${EXIT_CODES_TEXT}`,
    )
    .action(async (opts: InstallOptions) => {
      const r = await install(opts);
      process.exitCode = exitCodeFor(r.outcome);
    });
}
