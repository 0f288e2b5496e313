/**
 * The step engine: walks the steps in order and, per task and node, asks (diffs, gates) → writes
 * files → runs commands → verifies → checkpoints. listr2 shows progress (steps as parent tasks,
 * tasks as subtasks); the checkpoint rules live in resume.ts. Nothing here knows about clusters.
 */
import { Listr, ListrLogger, ProcessOutput, type ListrTask, type ListrTaskWrapper } from 'listr2';
import type { Answers } from '../plan/schema.js';
import type { Plan, PlanNode } from '../plan/derive.js';
import { redact, secretEntries, secretValues, type SecretEntry } from '../plan/derive.js';
import type { Evidence, Prompter, Step, Task, TaskContext } from './types.js';
import { isExecutable } from './types.js';
import type { Transport } from '../remote/types.js';
import type { StateStore } from '../state/store.js';
import type { TaskRecord } from '../state/types.js';
import { Journal } from '../state/journal.js';
import { AnvilError, PromptCancelled, UsageError } from '../errors.js';
import { output, say } from '../output.js';
import { createNodeHandle } from './node-handle.js';
import { inputDigests } from './input-hash.js';
import { changedSecrets, SecretUse, secretDigests, secretReopenLines, type SecretReopen } from './secret-inputs.js';
import { secretKeyId } from '../state/secret-key.js';
import { decide } from './resume.js';
import { ListrPrompter, YesPrompter } from './prompts.js';
import { approveFile, fileChange } from './diff.js';
import { gateStopMessage, meetGate } from './gates.js';
import { operatorHands, type OperatorHands } from './hands.js';
import { TestNotRun } from '../errors.js';
import { capturable, capturedAsOf, captureSeqOf, planWithCaptured, recordCapture } from './captured.js';
import { contentOf } from './walk.js';
import { firstUnsettled, groupSteps, nodeKeys, stepExecutable } from './summary.js';
import { LoggingPrompter, type RunLog } from './run-log.js';
import { previewStep, type PlannedRun, type StepPreview } from './step-preview.js';
import { approveStep } from './step-approval.js';
import { pageOnTerminal, wantColor } from './approval.js';
import { cancelQueuedQuestions } from './prompts.js';
import { checkRun, driftAction, type DriftedRun, type StepCheck } from './dry-run.js';
import { fileDrifts, fileOwners, supersededBy, type FileOwner } from './file-drift.js';
import { notCheckedReason } from './drift.js';
import { verifyContext } from './verify-context.js';
import { approvalScreen } from './approval.js';
import { clock, readOnlyClock, useClock } from '../util/clock.js';
import { withoutCursorCodes } from '../util/plain-stream.js';
import { QuietSpinner } from './quiet-spinner.js';

/** listr2 renderers: `default` on a terminal, `simple`/`verbose` in pipes and CI, `silent`/`test` in tests. */
export type RendererName = 'default' | 'simple' | 'verbose' | 'silent' | 'test';

/** Everything a run needs. */
export interface RunnerOptions {
  answers: Answers;
  steps: readonly Step[];
  /** The open (locked) state folder. */
  store: StateStore;
  /** A connection per node name. */
  transports: Record<string, Transport>;
  /** Approve every change, take every default, stop at gates. */
  yes?: boolean;
  /** With --yes: record gates as skipped instead of stopping there. */
  acceptGates?: boolean;
  /** A `resume`: a gate the previous `--yes` run stopped at counts as done by the operator. */
  resumeGates?: boolean;
  from?: string;
  to?: string;
  only?: string;
  /** Overrides the prompter (tests: a `FakePrompter`). */
  prompter?: Prompter;
  /** Keystrokes for the interactive prompter (tests); default the process stdin. */
  stdin?: NodeJS.ReadStream;
  /** Progress renderer; default: `default` on a terminal, else `simple`. */
  renderer?: RendererName;
  /** Timeout of one remote command, ms. */
  commandTimeoutMs?: number;
  /**
   * Hands for the tests gates drive: the lab's faults on the lab (then destructive tests run
   * unasked, `--yes` included). Default: the operator, asked through the prompter.
   */
  hands?: OperatorHands;
  /** The run's transcript (`install.log`): questions, notes, task and step times. */
  runLog?: RunLog;
  /** Shows a step's full diff when the operator asks to page through it (default: $PAGER / less -R on a terminal). */
  pager?: (text: string) => void | Promise<void>;
  /** Lines an approval screen may take (default: the terminal's height less room for the question). */
  screenLines?: number;
  /**
   * `check --only STEP --force`: every record of the selected steps counts as re-opened, so its
   * tasks run again by the resume rules (`once`: done probe; `firstBuildOnly`: kept). A settled gate
   * is kept (its test is not repeated), and so is a done `once` task without a done probe.
   */
  reapply?: boolean;
  /**
   * `install --retest STEP`: the tests (gate tasks) of these steps run again although done, each
   * only from a safe state (`Gate.unsafe`). A changed answer alone never re-runs a test.
   */
  retest?: readonly string[];
  /** `install --limit NODE`: run on this node only; every selected step must be `perNode`. */
  limit?: string;
}

/** How a run ended. */
export type RunOutcome = 'complete' | 'skipped' | 'gate' | 'not-executable' | 'failed' | 'aborted' | 'interrupted';

/** The result of a run. */
export interface RunResult {
  outcome: RunOutcome;
  /** Where and why it stopped (not for `complete`). */
  stop?: { step: string; task?: string; node?: string; message: string };
  /** The error that stopped it (`failed`, `aborted`). */
  error?: unknown;
  /** `taskId@node` of every task that executed (files/commands/run) in this run, in order. */
  executed: string[];
  /** Steps the operator skipped at their approval in this run (whatever the outcome). */
  skippedSteps?: string[];
  /** `--limit NODE`: the node this run was limited to. */
  limit?: string;
}

/** The operator chose "abort" at a diff. */
export class RunAborted extends AnvilError {
  constructor(what: string) {
    super(`aborted by the operator at ${what}`);
  }
}

type Wrapper = ListrTaskWrapper<unknown, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A task's input hash on a node and the capture sequence number of the plan it was computed from. */
interface Inputs {
  hash: string;
  seq: number;
}

/** Record the inputs a task runs (or ran) with. */
function stampInputs(rec: TaskRecord, inputs: Inputs): void {
  rec.inputHash = inputs.hash;
  rec.capturedSeq = inputs.seq;
}

/** What happened to one task on one node. */
type NodeOutcome = 'kept' | 'ran' | 'settled' | 'stopped';

/** Runs the steps against the nodes, checkpointing as it goes. */
export class Runner {
  private plan: Plan;
  /** The capture sequence number `plan` was built at. */
  private planSeq: number;
  /** Plans as of earlier capture sequence numbers (what done records compare with); immutable once built. */
  private readonly plansAsOf = new Map<number, Plan>();
  private planDirty = false;
  private readonly secrets: string[];
  private readonly secretEntries: SecretEntry[];
  private readonly key: Buffer;
  private readonly keyLost: boolean;
  private readonly journal: Journal;
  private readonly nodeNames: string[];
  /** Step id of each task id (the `--retest` hint names the step). */
  private readonly stepOf = new Map<string, string>();
  /** Gate tasks of the steps named by `--retest`: run again (from a safe state) although done. */
  private readonly retestTasks = new Set<string>();
  private stopped?: Omit<RunResult, 'executed'>;
  private interrupted = false;
  private onInterrupt?: () => void;
  private main: Promise<void> = Promise.resolve();
  private readonly executed: string[] = [];
  /** The operator approved every remaining step at once. */
  private approveAll = false;
  /** `node\0path` → the diff the operator approved for it on the step's approval screen. */
  private readonly approvedPatches = new Map<string, string>();
  /** `task\0node` of drifted done tasks the operator approved to re-apply. */
  private readonly driftApproved = new Set<string>();
  /** Steps the operator skipped at their approval. */
  private readonly skippedSteps: string[] = [];

  constructor(private readonly o: RunnerOptions) {
    this.secrets = secretValues(o.answers);
    this.secretEntries = secretEntries(o.answers);
    this.key = o.store.secretKey();
    const kid = secretKeyId(this.key);
    this.keyLost = o.store.state.secretKeyId !== undefined && o.store.state.secretKeyId !== kid;
    o.store.state.secretKeyId = kid;
    this.journal = new Journal(o.store.journalFile, this.secrets);
    this.plan = planWithCaptured(o.answers, o.store.state.captured);
    this.planSeq = captureSeqOf(o.store.state);
    this.nodeNames = this.plan.nodes.map((n) => n.name);
    const missing = this.nodeNames.filter((n) => !o.transports[n]);
    if (missing.length)
      throw new AnvilError(`no connection for node${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    o.store.state.nodes = this.nodeNames;
    if (o.limit && !this.nodeNames.includes(o.limit))
      throw new UsageError(`--limit ${o.limit}: no such node`, `the nodes are ${this.nodeNames.join(', ')}`);
    for (const s of o.steps) for (const t of s.tasks) this.stepOf.set(t.id, s.id);
    for (const id of o.retest ?? []) {
      const s = o.steps.find((x) => x.id === id);
      const gates = s?.tasks.filter((t) => t.kind === 'gate') ?? [];
      if (!s || !gates.length)
        throw new AnvilError(
          `--retest ${id}: ${s ? 'that step holds no test' : 'no such step'}`,
          `steps with tests: ${o.steps
            .filter((x) => x.tasks.some((t) => t.kind === 'gate'))
            .map((x) => x.id)
            .join(', ')}`,
        );
      for (const t of gates) this.retestTasks.add(t.id);
    }
  }

  /** The steps this run covers, after checking that everything before them is settled (`anyStart`: a dry run, which needs nothing done). */
  private selected(anyStart = false): Step[] {
    const steps = this.o.steps;
    const idx = (flag: string, id: string) => {
      const i = steps.findIndex((s) => s.id === id);
      if (i < 0) throw new AnvilError(`${flag} ${id}: no such step`, `steps are: ${steps.map((s) => s.id).join(', ')}`);
      return i;
    };
    const start = this.o.only ? idx('--only', this.o.only) : this.o.from ? idx('--from', this.o.from) : 0;
    const end = this.o.only ? start : this.o.to ? idx('--to', this.o.to) : steps.length - 1;
    if (end < start)
      throw new AnvilError(`--to ${this.o.to} comes before --from ${this.o.from}`, 'steps run in order; swap them');
    const limit = this.o.limit;
    if (limit) {
      // NOTE: one node alone only where its part stands alone; a step both nodes take part in is refused.
      const joint = steps.slice(start, end + 1).filter((s) => !s.perNode);
      if (joint.length)
        throw new UsageError(
          `--limit ${limit}: ${joint.map((s) => s.id).join(', ')} ${joint.length === 1 ? 'needs' : 'need'} both nodes`,
          `steps that run on one node alone: ${steps
            .filter((s) => s.perNode)
            .map((s) => s.id)
            .join(', ')} (choose them with --only, --from, --to)`,
        );
    }
    // NOTE: a dry run may look at any step: it runs nothing, so nothing before it has to be done.
    if (start > 0 && !anyStart) {
      const u = firstUnsettled(steps, start, this.o.store.state, this.nodeNames, limit);
      if (u)
        throw new AnvilError(
          `cannot start at ${steps[start].id}: ${u.step.id}/${u.task} on ${u.node} is ${u.status}, not done`,
          `run the earlier steps first: \`anvil-install resume --state ${this.o.store.dir}\` (or --from ${u.step.id})`,
        );
    }
    return steps.slice(start, end + 1);
  }

  /** Run the selected steps. Resolves with how it ended; user errors are returned, not thrown (except bad flags). */
  async run(): Promise<RunResult> {
    const steps = this.selected();
    for (const line of secretReopenLines(this.secretReopens(steps), this.keyLost, this.o.store.dir)) say(line);
    this.o.store.save();
    const listr = new Listr<unknown>(
      steps.map((s) => this.stepTask(s)),

      this.listrOptions(),
    );
    const main = (this.main = listr.run().then(
      () => undefined,
      (e: unknown) => {
        if (!this.stopped)
          this.stopped = {
            outcome: 'failed',
            error: e,
            stop: { step: '?', message: (e as Error)?.message ?? String(e) },
          };
      },
    ));
    const interrupted = new Promise<void>((r) => (this.onInterrupt = r));
    await Promise.race([main, interrupted]);
    this.o.store.flush();
    // NOTE: while the nodes are still connected: what a later reboot of this run settled is not left to do.
    if (!this.interrupted) await this.o.runLog?.settleTodo();
    const skippedSteps = [...this.skippedSteps];
    if (this.interrupted)
      return {
        outcome: 'interrupted',
        stop: { step: '?', message: 'interrupted' },
        executed: [...this.executed],
        skippedSteps,
      };
    if (!this.stopped && this.skippedSteps.length)
      return {
        outcome: 'skipped',
        stop: {
          step: this.skippedSteps[0],
          message: `skipped at their approval, so not done: ${this.skippedSteps.join(', ')}`,
        },
        executed: [...this.executed],
        skippedSteps,
      };
    return {
      ...(this.stopped ?? { outcome: 'complete' }),
      executed: [...this.executed],
      skippedSteps,
      ...(this.o.limit ? { limit: this.o.limit } : {}),
    };
  }

  /**
   * `install --check`: for each selected step, what it would do on the nodes as they are (diffs,
   * commands) and whether each task's verify already passes. Reads only; saves nothing.
   */
  async check(show: (c: StepCheck, screen: string) => void, color: boolean): Promise<StepCheck[]> {
    const steps = this.selected(true);
    const out: StepCheck[] = [];
    const owners = fileOwners(this.o.steps, this.plan, this.o.store.state);
    for (const step of steps) {
      const preview = await this.preview(step);
      const runs = [];
      for (const t of preview.tasks)
        for (const key of t.keys)
          runs.push(await checkRun(t.task, key, this.readOnlyContext(t.task, key), this.secrets));
      const willRun = new Set(
        preview.tasks.flatMap((t) => [...t.keys, ...t.alreadyDone].map((k) => `${t.task.id}\0${k}`)),
      );
      const c = { step, preview, runs, ...(await this.recheck(step, willRun, owners)) };
      out.push(c);
      show(
        c,
        approvalScreen(preview, this.plan, this.o.steps.indexOf(step) + 1, this.o.steps.length, {
          color,
          maxLines: Infinity,
        }),
      );
    }
    return out;
  }

  /**
   * `install --check` on the done records the step keeps: their verifies again (as `check` runs them)
   * and their files against the final form. Reads only.
   */
  private async recheck(
    step: Step,
    willRun: ReadonlySet<string>,
    owners: Map<string, Map<string, FileOwner>>,
  ): Promise<Pick<StepCheck, 'rechecked' | 'drifted' | 'files'>> {
    const kept = (task: Task, key: string) => !willRun.has(`${task.id}\0${key}`);
    const drifted: DriftedRun[] = [];
    let rechecked = 0;
    for (const task of step.tasks)
      for (const key of this.keysOf(task)) {
        if (!kept(task, key) || notCheckedReason(task, this.o.store.state, key)) continue;
        rechecked++;
        const r = await checkRun(task, key, this.readOnlyContext(task, key), this.secrets, true);
        if (r.state === 'in place') continue;
        drifted.push({
          task: task.id,
          key,
          detail: r.detail,
          ...driftAction(task, supersededBy(task, key, this.plan, owners, step), r.hardware),
        });
      }
    const files = await fileDrifts({
      step,
      plan: this.plan,
      owners,
      secrets: this.secrets,
      skip: (task, node) => !kept(task, node),
      read: (node, path) =>
        verifyContext({
          plan: this.plan,
          node: this.plan.node(node),
          transports: this.o.transports,
          task: 'check:files',
          journal: this.journal,
          secrets: this.secrets,
          captured: this.o.store.state.captured,
          commandTimeoutMs: this.o.commandTimeoutMs,
        }).node.readFile(path),
    });
    // NOTE: a file that differs is drift of its owner even when the owner's verify does not look at it.
    for (const f of files) {
      const from = owners.get(f.node)?.get(f.path)?.from ?? f.node;
      if (drifted.some((d) => d.task === f.task && d.key === from)) continue;
      const task = step.tasks.find((t) => t.id === f.task)!;
      drifted.push({ task: f.task, key: from, detail: `${f.path} on ${f.node} differs`, ...driftAction(task) });
    }
    return { rechecked, drifted, files };
  }

  /** The (task, node) records of these steps that a changed secret re-opens. */
  private secretReopens(steps: readonly Step[]): SecretReopen[] {
    const out: SecretReopen[] = [];
    for (const step of steps)
      for (const [task, byNode] of step.tasks.map((t) => [t.id, this.o.store.state.tasks[t.id]] as const))
        for (const [node, rec] of Object.entries(byNode ?? {})) {
          const paths = this.changedSecrets(rec);
          if (paths.length && (rec.status === 'done' || rec.status === 'skipped')) out.push({ task, node, paths });
        }
    return out;
  }

  private changedSecrets(rec: TaskRecord | undefined): string[] {
    // NOTE: with a new key no digest can match: every secret the record applied counts as changed.
    if (this.keyLost && rec?.secretHashes)
      return Object.keys(rec.secretHashes).filter((p) => this.secretEntries.some((e) => e.path === p));
    return changedSecrets(rec, this.secretEntries, this.key);
  }

  /**
   * Ctrl-C: save the checkpoint as it is (running tasks stay `running` = interrupted) and stop
   * writing it; `run()` resolves with `interrupted` at once.
   */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    this.o.store.save();
    this.o.store.freeze();
    this.onInterrupt?.();
  }

  /** Resolves when the work a `run()` started has unwound (after an interrupt, `run()` returns before that). */
  settled(): Promise<void> {
    return this.main;
  }

  private listrOptions(): Record<string, unknown> {
    const renderer: RendererName = this.o.renderer ?? (output().isTTY ? 'default' : 'simple');
    const out = output();
    // NOTE: the non-interactive renderers write through our output module, so tests and pipes see them;
    // not a terminal: no cursor codes (listr2 hides the cursor on stdout around every question).
    const stdout = out.isTTY ? out.out : withoutCursorCodes(out.out);
    const logger = () =>
      new ListrLogger({
        processOutput: new ProcessOutput(stdout as NodeJS.WriteStream, out.err as NodeJS.WriteStream),
      });
    return {
      renderer,
      fallbackRenderer: 'simple',
      // NOTE: collapseSkips off: a skipped step keeps its title, the reason shows beside it (not instead).
      rendererOptions:
        renderer === 'simple' || renderer === 'verbose'
          ? { logger: logger() }
          : { collapseSkips: false, spinner: new QuietSpinner() },
      fallbackRendererOptions: { logger: logger() },
      silentRendererCondition: renderer === 'silent',
      registerSignalListeners: false,
      exitOnError: true,
      concurrent: false,
    };
  }

  private stop(s: Omit<RunResult, 'executed'>): void {
    this.stopped ??= s;
  }

  private halted(): boolean {
    return this.interrupted || this.stopped !== undefined;
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- listr2's renderer type parameters, which the runner does not pin
  private stepTask(step: Step): ListrTask<unknown, any, any> {
    return {
      title: `${step.title} (${step.id})`,
      skip: () => (this.halted() ? 'not run: the run stopped before this step' : false),
      task: async (_ctx, w) => {
        this.o.runLog?.stepStart(step.id, step.title);
        const t0 = Date.now();
        if (!stepExecutable(step, this.o.store.state)) {
          const which = !step.tasks.length
            ? 'no tasks declared'
            : step.tasks.every(isExecutable)
              ? this.o.store.state.lab
                ? 'the lab does not simulate it yet'
                : 'the install target cannot run it yet'
              : step.tasks
                  .filter((t) => !isExecutable(t))
                  .map((t) => t.id)
                  .join(', ');
          this.stop({
            outcome: 'not-executable',
            stop: { step: step.id, message: `${step.id}: not yet executable (${which})` },
          });
          w.skip(`not yet executable (${which})`);
          this.o.runLog?.stepEnd(step.id, `not run, not yet executable (${which})`, 0);
          return;
        }
        if (!(await this.approved(step, w, t0))) return;
        return w.newListr(
          [
            ...step.tasks.map((t) => ({
              title: `${t.title} [${nodeKeys(t.on, this.nodeNames).join(', ')}]`,
              skip: () => (this.halted() ? 'not run' : false),
              task: (_c: unknown, tw: Wrapper) => this.runTask(step, t, tw),
            })),
            // NOTE: untitled (not drawn): marks the step by how it really ended, never ✔ when cut off.
            { task: (_c: unknown, tw: Wrapper) => this.closeStep(step, w, tw, t0) },
          ],
          { exitOnError: true, concurrent: false },
        );
      },
    };
  }

  /**
   * The step's approval, before anything of it runs (not with --yes). False when the step is not
   * to run: skipped (the run goes on) or aborted (the run stops, nothing of the step has run).
   */
  private async approved(step: Step, w: Wrapper, t0: number): Promise<boolean> {
    if (this.o.yes) return true;
    const lab = this.o.hands?.kind === 'lab';
    const out = output();
    // NOTE: questions go to stderr's terminal when stdout is piped: the screen fits that one.
    const term = ((out.out as NodeJS.WriteStream).isTTY ? out.out : process.stderr) as NodeJS.WriteStream;
    const r = await approveStep({
      step,
      number: this.o.steps.indexOf(step) + 1,
      total: this.o.steps.length,
      plan: this.plan,
      preview: () => this.preview(step, true),
      prompt: this.prompter(w),
      mode: this.approveAll ? 'all' : 'ask',
      lab,
      style: {
        color: wantColor(out.isTTY),
        // NOTE: the question and its choices are drawn below the screen; a line spare for the task line.
        maxLines: this.o.screenLines ?? Math.max(12, (term.rows ?? 50) - 2),
        // NOTE: two columns spare: the prompt's "? " before the first line, and ⚠ drawn two columns wide.
        columns: term.columns ? term.columns - 2 : undefined,
      },
      // NOTE: without a terminal (or a pager that fails) the full text is printed instead.
      page:
        this.o.pager ??
        ((text) => {
          if (!out.isTTY || !pageOnTerminal(text)) out.out.write(`${text}\n`);
        }),
      log: this.o.runLog,
    }).catch((e: unknown) => {
      if (e instanceof PromptCancelled) return { decision: 'abort' as const, cancelled: e };
      throw e;
    });
    if (r.decision === 'run' || r.decision === 'run-all') {
      if (r.decision === 'run-all') this.approveAll = true;
      for (const d of r.preview?.drift ?? [])
        if (d.action === 're-apply') this.driftApproved.add(`${d.task}\0${d.key}`);
      for (const t of r.preview?.tasks ?? [])
        for (const g of t.files)
          for (const n of g.nodes) this.approvedPatches.set(`${n}\0${g.value.path}`, g.value.patch);
      return true;
    }
    const ms = Date.now() - t0;
    if (r.decision === 'skip') {
      this.skippedSteps.push(step.id);
      for (const t of r.preview?.tasks ?? [])
        for (const k of t.keys) {
          const rec = this.o.store.record(t.task.id, k);
          rec.note = "skipped by the operator at the step's approval; asked again on the next run";
        }
      this.o.store.save();
      this.o.runLog?.stepEnd(step.id, 'skipped by the operator at its approval', ms);
      w.skip(`skipped by the operator${step.ifSkipped ? `: ${step.ifSkipped}` : ''}`);
      return false;
    }
    const cancelled = 'cancelled' in r ? r.cancelled : undefined;
    const message = cancelled
      ? cancelled.message
      : `aborted by the operator at the approval of step ${step.id}; nothing of it ran`;
    this.stop({
      outcome: 'aborted',
      error: cancelled ?? new RunAborted(`the approval of step ${step.id}; nothing of it ran`),
      stop: { step: step.id, message },
    });
    this.o.runLog?.stepEnd(step.id, `aborted: ${message}`, ms);
    throw new AnvilError(message);
  }

  /** What the step will do: the (task, node) pairs the resume rules will run, with their diffs. Reads only. */
  private async preview(step: Step, withDrift = false): Promise<StepPreview> {
    const plan = this.plan;
    const runs: PlannedRun[] = [];
    let kept = 0;
    for (const task of step.tasks)
      for (const key of this.keysOf(task)) {
        const x = this.decision(task, key, plan);
        if (x.d.action === 'keep' || x.kept) {
          kept++;
          continue;
        }
        const reason = x.d.action === 'verify-first' ? 'interrupted' : x.retest ? 'retest' : x.d.reason;
        runs.push({ task, key, pn: x.pn, reason, live: x.live, ctx: this.readOnlyContext(task, key) });
      }
    if (!withDrift || !kept) return previewStep(step, plan, runs, kept, this.secrets);
    // NOTE: what `install --check` shows as drift: a safe task is offered again under this approval.
    const willRun = new Set(runs.map((r) => `${r.task.id}\0${r.key}`));
    // NOTE: a re-check only reads: its polls let no time pass (on the lab, no timer fires for it).
    const restore = useClock(readOnlyClock(clock()));
    let drifted: DriftedRun[];
    try {
      ({ drifted } = await this.recheck(step, willRun, fileOwners(this.o.steps, plan, this.o.store.state)));
    } finally {
      restore();
    }
    for (const d of drifted.filter((x) => x.action === 're-apply')) {
      const task = step.tasks.find((t) => t.id === d.task)!;
      runs.push({
        task,
        key: d.key,
        pn: d.key === 'local' ? undefined : plan.node(d.key),
        reason: 'drifted',
        ctx: this.readOnlyContext(task, d.key),
      });
      kept--;
    }
    // NOTE: in step order, as they will run.
    runs.sort((a, b) => step.tasks.indexOf(a.task) - step.tasks.indexOf(b.task));
    return { ...(await previewStep(step, plan, runs, kept, this.secrets)), drift: drifted };
  }

  /**
   * What the resume rules decide for a task on a node now. `kept`: the note of a settled task that a
   * change re-opened but that is not repeated (a first-build transition, or a test: tests re-run only
   * when named, `--retest`). `live`: the task re-applies its final form to the running platform.
   */
  private decision(task: Task, key: string, plan: Plan) {
    const pn = key === 'local' ? undefined : plan.node(key);
    const prev = this.o.store.peek(task.id, key);
    const { hash, secretPaths } = inputDigests(task, plan, pn, this.secrets, this.secretEntries);
    // NOTE: a done record compares with its inputs as they were when it ran: the values read from the
    // nodes frozen at its capture sequence (DESIGN.md "Checkpoints and resume").
    const asRan = prev?.capturedSeq !== undefined ? this.planAsOf(prev.capturedSeq) : plan;
    const ranHash =
      asRan === plan ? hash : inputDigests(task, asRan, pn && asRan.node(key), this.secrets, this.secretEntries).hash;
    const retest = task.kind === 'gate' && this.retestTasks.has(task.id);
    // NOTE: a re-applied step keeps its settled gates (a test is not repeated) and any done `once` task without a probe.
    const keptByReapply =
      this.o.reapply &&
      (prev?.status === 'done' || prev?.status === 'skipped') &&
      (task.kind === 'gate' || (task.kind === 'once' && !task.done));
    let d = decide(prev, ranHash, (!keptByReapply && !!this.o.reapply) || retest, this.changedSecrets(prev));
    // NOTE: a drifted safe task the operator approved again: run once more, nothing after it re-opened.
    if (d.action === 'keep' && this.driftApproved.has(`${task.id}\0${key}`))
      d = { action: 'run', reopen: false, reason: 'drifted' };
    const settled = prev?.status === 'done' || prev?.status === 'skipped';
    const byChange = d.action === 'run' && (d.reason === 'changed' || d.reason === 'secret-changed');
    let kept: string | undefined;
    // NOTE: re-opened by a change, but a one-time transition of the first build: kept.
    if (d.action === 'run' && task.firstBuildOnly && prev?.status === 'done' && (byChange || d.reason === 'reopened'))
      kept = `kept: ${task.firstBuildOnly} (one-time transition of the first build, not repeated)`;
    // NOTE: a test is evidence of what was tested; a changed answer does not make it run again (it
    // would crash nodes and stop storage under the guests): the operator names it with --retest.
    else if (task.kind === 'gate' && settled && byChange)
      kept = `kept: a test is not re-run because an answer changed; run it again with \`anvil-install install --retest ${this.stepOf.get(task.id)}\``;
    const live =
      !!task.live && ((d.action === 'run' && settled && d.reopen) || (d.action === 'verify-first' && !!prev?.live));
    const inputs: Inputs = { hash, seq: this.planSeq };
    return { pn, prev, inputs, secretPaths, d, kept, live, retest };
  }

  /** The end of a step: logged with its time; a step cut off by an abort or interrupt fails (✖), a gate stop is not ✔. */
  private closeStep(step: Step, w: Wrapper, tw: Wrapper, t0: number): void {
    const ms = Date.now() - t0;
    const s = this.interrupted
      ? { outcome: 'interrupted' as const, stop: { step: step.id, message: 'interrupted' } }
      : this.stopped;
    if (!s) {
      this.o.runLog?.stepEnd(step.id, 'done', ms);
      return;
    }
    const msg = s.stop?.message ?? s.outcome;
    this.o.runLog?.stepEnd(step.id, `${s.outcome}: ${msg}`, ms);
    if (s.outcome === 'gate') w.skip(`stopped: ${msg}`);
    else {
      tw.title = `${step.id}: not finished`;
      throw new AnvilError(s.outcome === 'interrupted' ? 'interrupted' : msg);
    }
  }

  /** One task on one node, timed and counted in the run log. */
  private async timedOnNode(step: Step, task: Task, key: string, w: Wrapper): Promise<NodeOutcome> {
    const log = this.o.runLog;
    log?.taskStart(task.id, key);
    log?.setDisplay(key, (m) => (w.output = m));
    try {
      const r = await this.runOnNode(step, task, key, w);
      log?.taskEnd(
        task.id,
        key,
        r === 'ran' ? 'changed' : r === 'stopped' ? 'stopped' : 'unchanged',
        r === 'kept' ? 'done earlier' : r === 'settled' ? 'already in place' : undefined,
      );
      return r;
    } catch (e) {
      log?.taskEnd(task.id, key, 'failed', redact((e as Error)?.message ?? String(e), this.secrets));
      throw e;
    } finally {
      log?.setDisplay(key, undefined);
    }
  }

  /** The checkpoint keys of a task in this run: its nodes, or the one `--limit` names. */
  private keysOf(task: Task): string[] {
    const keys = nodeKeys(task.on, this.nodeNames);
    return this.o.limit ? keys.filter((k) => k === this.o.limit) : keys;
  }

  private async runTask(step: Step, task: Task, w: Wrapper): Promise<void> {
    const keys = this.keysOf(task);
    const outcomes: NodeOutcome[] = [];
    if (task.on === 'both') {
      const rs = await Promise.allSettled(keys.map((k) => this.timedOnNode(step, task, k, w)));
      const bad = rs.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (bad) throw bad.reason;
      for (const r of rs) if (r.status === 'fulfilled') outcomes.push(r.value);
    } else {
      for (const k of keys) {
        outcomes.push(await this.timedOnNode(step, task, k, w));
        if (this.halted()) break;
      }
    }
    if (outcomes.includes('stopped')) {
      // NOTE: a task cut off by the operator fails (✖): never a tick, nor a "skipped" that reads as fine.
      if (this.stopped?.outcome === 'aborted') throw new AnvilError(this.stopped.stop?.message ?? 'aborted');
      w.skip(this.stopped?.stop?.message ?? 'stopped');
    } else if (outcomes.length && outcomes.every((x) => x === 'kept')) w.skip('done earlier, unchanged');
  }

  private refreshPlan(): void {
    if (!this.planDirty) return;
    this.planDirty = false;
    this.plan = planWithCaptured(this.o.answers, this.o.store.state.captured);
    this.planSeq = captureSeqOf(this.o.store.state);
  }

  /** The plan with the values captured as of capture sequence `seq` (the current plan when nothing was captured since). */
  private planAsOf(seq: number): Plan {
    if (seq === this.planSeq) return this.plan;
    let p = this.plansAsOf.get(seq);
    if (!p) {
      p = planWithCaptured(this.o.answers, capturedAsOf(this.o.store.state, seq));
      this.plansAsOf.set(seq, p);
    }
    return p;
  }

  private handle(n: PlanNode, task: string, use?: SecretUse) {
    return createNodeHandle({
      plan: n,
      transport: this.o.transports[n.name],
      journal: this.journal,
      task,
      secrets: this.secrets,
      timeoutMs: this.o.commandTimeoutMs,
      scan: use && ((t) => use.scan(t)),
    });
  }

  private prompter(w: Wrapper): Prompter {
    const p = this.o.prompter ?? (this.o.yes ? new YesPrompter() : new ListrPrompter(w, this.o.stdin));
    return this.o.runLog ? new LoggingPrompter(p, this.o.runLog) : p;
  }

  /**
   * A context that only reads (questions and writes refused, captures ignored): what a step's
   * preview and `install --check` probe and verify through. A `local` task reads through node 1.
   */
  private readOnlyContext(task: Task, key: string): TaskContext {
    const store = this.o.store;
    return verifyContext({
      plan: this.plan,
      node: key === 'local' ? this.plan.nodes[0] : this.plan.node(key),
      transports: this.o.transports,
      task: task.id,
      journal: this.journal,
      secrets: this.secrets,
      captured: store.state.captured,
      commandTimeoutMs: this.o.commandTimeoutMs,
      log: (m) => this.o.runLog?.note(key, redact(m, this.secrets), task.id),
    });
  }

  private context(task: Task, n: PlanNode, key: string, w: Wrapper, use?: SecretUse): TaskContext {
    const plan = this.plan;
    const store = this.o.store;
    return {
      plan,
      node: this.handle(n, task.id, use),
      peer: this.handle(plan.peerOf(n), task.id, use),
      prompt: this.prompter(w),
      log: (m) => {
        const text = redact(m, this.secrets);
        // NOTE: most notes already start with the node's name; name it once.
        w.output = text.startsWith(`${key}:`) || text.startsWith(`${key} `) ? text : `${key}: ${text}`;
        this.o.runLog?.note(key, text, task.id);
      },
      todo: (m, settled) => {
        const text = redact(m, this.secrets);
        const shown = text.startsWith(`${key}:`) || text.startsWith(`${key} `) ? text : `${key}: ${text}`;
        w.output = shown;
        this.o.runLog?.note(key, text, task.id);
        this.o.runLog?.addTodo(shown, settled);
      },
      capture: (k, v) => {
        recordCapture(store.state, k, capturable(k, v, this.secrets));
        store.save();
        this.planDirty = true;
      },
      captured: <T>(k: string) => store.state.captured[k] as T | undefined,
    };
  }

  private finish(
    rec: TaskRecord,
    status: TaskRecord['status'],
    inputs: Inputs,
    evidence?: Evidence,
    note?: string,
    use?: SecretUse,
  ): void {
    rec.status = status;
    stampInputs(rec, inputs);
    const digests = use && secretDigests(use.paths, this.secretEntries, this.key);
    if (digests) rec.secretHashes = digests;
    else if (use) delete rec.secretHashes;
    rec.finishedAt = new Date().toISOString();
    delete rec.error;
    delete rec.awaitingOperator;
    delete rec.live;
    if (evidence) rec.evidence = this.redactEvidence(evidence);
    if (note) rec.note = note;
    else delete rec.note;
    this.o.store.save();
    if (rec.evidence) this.logEvidence(rec, rec.evidence);
  }

  /**
   * What a task saw, in the run's log as well as the state file: the summary of every verify, and
   * for a test (a gate) every detail of its evidence (the lines seen, timings, counters).
   */
  private logEvidence(rec: TaskRecord, evidence: Evidence): void {
    const log = this.o.runLog;
    if (!log) return;
    for (const [id, byKey] of Object.entries(this.o.store.state.tasks))
      for (const [key, r] of Object.entries(byKey))
        if (r === rec) {
          const task = this.o.steps.flatMap((x) => x.tasks).find((t) => t.id === id);
          log.evidence(id, key, evidence, task?.kind === 'gate');
          return;
        }
  }

  private redactEvidence(e: Evidence): Evidence {
    const r = (s: string) => redact(s, this.secrets);
    return {
      summary: r(e.summary),
      ...(e.details
        ? {
            details: Object.fromEntries(
              Object.entries(e.details).map(([k, v]) => [k, typeof v === 'string' ? r(v) : v]),
            ),
          }
        : {}),
    };
  }

  /** One task on one node (or `local`), by the resume rules. */
  private async runOnNode(step: Step, task: Task, key: string, w: Wrapper): Promise<NodeOutcome> {
    if (this.halted()) return 'stopped';
    try {
      const plan = this.plan;
      const store = this.o.store;
      const { pn, prev, inputs, secretPaths, d, kept, live, retest } = this.decision(task, key, plan);
      if (d.action === 'keep') return 'kept';
      if (kept && prev) {
        prev.note = kept;
        stampInputs(prev, inputs);
        store.save();
        return 'kept';
      }
      // NOTE: the secrets in the task's inputs plus those it sends to a node (e.g. a password on stdin).
      const use = new SecretUse(this.secretEntries);
      for (const p of secretPaths) use.paths.add(p);
      // NOTE: a `local` task gets node 1 as its node: gates and local checks may still read the nodes.
      const ctx = this.context(task, pn ?? plan.nodes[0], key, w, use);
      const rec = store.record(task.id, key);
      let started = false;
      try {
        if (task.kind === 'gate') {
          const why = retest ? await task.gate?.unsafe?.(ctx) : undefined;
          if (why) {
            // NOTE: refused before anything of the test ran: the record stays as it was (done).
            const message = `${task.id} is not run again now: ${redact(why, this.secrets)}`;
            this.stop({
              outcome: 'failed',
              error: new AnvilError(message),
              stop: { step: step.id, task: task.id, node: key, message },
            });
            return 'stopped';
          }
          return await this.gate(step, task, key, ctx, rec, prev, inputs);
        }
        if (d.action === 'verify-first') {
          const seen = await this.tryVerify(task, ctx, live);
          if (seen.ok) {
            this.finish(rec, 'done', inputs, seen.evidence, 'interrupted earlier; verify passed, not re-run', use);
            return 'settled';
          }
          if (task.kind === 'once' && !task.done)
            throw new AnvilError(
              `${task.id} on ${key} was interrupted and its verify fails (${seen.error}); it is destructive and has no done probe, so it is not re-run`,
              'check the node by hand and finish the task as the runbook shows, then run resume again',
            );
        }
        if (task.kind === 'once' && task.done && (await task.done(ctx))) {
          const ev = task.verify ? await task.verify(ctx) : { summary: 'already done (done probe)' };
          this.finish(rec, 'done', inputs, ev, 'already done on the node (done probe); not run again', use);
          return 'settled';
        }
        // NOTE: a live re-apply writes only the final form, from its own code: never the task's own
        // (maybe intermediate) files first.
        const writes = live ? [] : await this.prepareFiles(task, plan, pn, ctx, key);
        rec.status = 'running';
        stampInputs(rec, inputs);
        if (live) rec.live = true;
        else delete rec.live;
        rec.startedAt = new Date().toISOString();
        delete rec.finishedAt;
        delete rec.error;
        rec.runs = (rec.runs ?? 0) + 1;
        // NOTE: every record so far is on disk before this task touches the node: a task that goes on
        // from an earlier one may undo what that one's verify or done probe reads (DRBD stopped after
        // `new-current-uuid`), so an earlier completion lost to a kill could never be recognised again.
        store.save(true);
        started = true;
        this.executed.push(`${task.id}@${key}`);
        for (const f of writes) await ctx.node.writeFile(f.path, f.content, { mode: f.mode, backup: f.backup });
        if (live) await task.live!.run(ctx);
        else if (task.run) await task.run(ctx);
        else if (pn) for (const cmd of task.commands?.(plan, pn) ?? []) await ctx.node.sh(cmd);
        const ev = live
          ? await task.live!.verify(ctx)
          : task.verify
            ? await task.verify(ctx)
            : { summary: 'no verify declared' };
        this.finish(rec, 'done', inputs, ev, undefined, use);
        return 'ran';
      } catch (e) {
        if (!started && (e instanceof RunAborted || e instanceof PromptCancelled)) {
          this.stop({
            outcome: 'aborted',
            error: e,
            stop: { step: step.id, task: task.id, node: key, message: (e as Error).message },
          });
          return 'stopped';
        }
        rec.status = 'failed';
        stampInputs(rec, inputs);
        rec.finishedAt = new Date().toISOString();
        rec.error = redact((e as Error)?.message ?? String(e), this.secrets);
        // NOTE: the renderer and the closing summary print this error: masked, like the record.
        if (e instanceof Error) e.message = rec.error;
        store.save();
        this.stop({
          outcome: 'failed',
          error: e,
          stop: { step: step.id, task: task.id, node: key, message: rec.error },
        });
        throw e;
      }
    } finally {
      this.refreshPlan();
    }
  }

  private async tryVerify(
    task: Task,
    ctx: TaskContext,
    live = false,
  ): Promise<{ ok: true; evidence: Evidence } | { ok: false; error: string }> {
    // NOTE: an interrupted live re-apply is done only when the running platform has the change.
    const verify = live ? task.live!.verify : task.verify;
    if (!verify) return { ok: false, error: 'no verify declared' };
    try {
      return { ok: true, evidence: await verify(ctx) };
    } catch (e) {
      if (e instanceof AnvilError) return { ok: false, error: redact(e.message, this.secrets) };
      throw e;
    }
  }

  /** Render the task's files for this node, diff each against the node, and ask. Writes nothing. */
  private async prepareFiles(task: Task, plan: Plan, pn: PlanNode | undefined, ctx: TaskContext, key: string) {
    const out: { path: string; content: string; mode?: number; backup?: 'root-backups' | 'orig' | 'none' }[] = [];
    if (!pn) return out;
    for (const spec of task.files?.(plan, pn) ?? []) {
      const current = await ctx.node.readFile(spec.path);
      // NOTE: an edit applies to what is on the node now; without a file there, to the stock template.
      const content = spec.edit && current !== null ? spec.edit(current) : contentOf(spec, plan, pn);
      const change = fileChange(spec.path, current, content, this.secrets);
      if (change.identical) {
        ctx.log(`${spec.path} unchanged`);
        continue;
      }
      // NOTE: approved with its step (the same diff), with every remaining step, or --yes: not asked again.
      // A diff that differs from the one shown (it depended on what earlier tasks found) is asked for.
      const shown = this.approvedPatches.get(`${key}\0${spec.path}`);
      const asked = !this.o.yes && !this.approveAll && shown !== change.patch;
      if (this.halted()) throw new RunAborted(`${key}: ${spec.path}`);
      const answer = asked ? await approveFile(ctx.prompt, key, change, shown !== undefined) : 'approve';
      if (answer === 'abort') {
        // NOTE: abort ends the run at once: the other node's question, already queued, is not asked.
        cancelQueuedQuestions();
        throw new RunAborted(`${key}: ${spec.path}`);
      }
      if (answer === 'skip') {
        ctx.log(`${spec.path}: skipped by the operator`);
        continue;
      }
      ctx.log(`writing ${spec.path} (+${change.added} -${change.removed})`);
      out.push({ path: spec.path, content, mode: spec.mode, backup: spec.backup });
    }
    return out;
  }

  /**
   * A gate whose step can run the test itself: on the lab always (the lab's faults are the hands);
   * on real nodes when an operator is there to confirm each destructive act. Undefined when the
   * gate is met the manual way instead.
   */
  private async driveGate(
    step: Step,
    task: Task,
    key: string,
    ctx: TaskContext,
    rec: TaskRecord,
    inputs: Inputs,
  ): Promise<NodeOutcome | undefined> {
    const drive = task.gate?.drive;
    if (!drive) return undefined;
    const hands = this.o.hands ?? operatorHands(ctx.prompt);
    const lab = hands.kind === 'lab';
    if (!lab) {
      // NOTE: on real nodes nobody can confirm a crash under --yes: the gate stops as a manual one.
      if (this.o.yes) return undefined;
      const ok = await ctx.prompt.confirm(
        `${key}: ${task.title}\nThe tool can run this test itself, asking you before each destructive act. Run it now? (No: do it by hand with the checklist)`,
        // NOTE: a driven test crashes or powers off nodes: Enter alone never starts one (review N1).
        false,
      );
      if (!ok) return undefined;
    }
    rec.status = 'running';
    stampInputs(rec, inputs);
    rec.startedAt = new Date().toISOString();
    delete rec.finishedAt;
    rec.runs = (rec.runs ?? 0) + 1;
    this.o.store.save(true);
    this.executed.push(`${task.id}@${key}`);
    try {
      const ev = await drive({
        ...ctx,
        hands,
        lab,
        confirmDestructive: lab ? async () => true : (what) => ctx.prompt.confirm(`${what}\nGo ahead?`, false),
      });
      // NOTE: what the drive saw is read back by the task's verify, as after a test the operator ran:
      // a drive that passed on what it watched is not the record of the node (syslog, boots, bonds).
      const v = task.verify ? await task.verify(ctx) : undefined;
      this.finish(
        rec,
        'done',
        inputs,
        v ? { summary: `${ev.summary}; ${v.summary}`, details: { ...ev.details, ...v.details } } : ev,
      );
      return 'ran';
    } catch (e) {
      if (!(e instanceof TestNotRun)) throw e;
      // NOTE: a test the operator declined is not run, and never recorded as passed.
      rec.status = 'pending';
      stampInputs(rec, inputs);
      rec.note = `not run: ${e.message}`;
      this.o.store.save();
      this.stop({
        outcome: 'gate',
        stop: { step: step.id, task: task.id, node: key, message: `${task.id} not run: ${e.message}` },
      });
      return 'stopped';
    }
  }

  private async gate(
    step: Step,
    task: Task,
    key: string,
    ctx: TaskContext,
    rec: TaskRecord,
    prev: TaskRecord | undefined,
    inputs: Inputs,
  ): Promise<NodeOutcome> {
    const driven = await this.driveGate(step, task, key, ctx, rec, inputs);
    if (driven) return driven;
    const g = await meetGate(task, this.plan, key, ctx.prompt, {
      yes: !!this.o.yes,
      acceptGates: !!this.o.acceptGates,
      resumedAfterStop: !!this.o.resumeGates && prev?.awaitingOperator === true && prev.inputHash === inputs.hash,
      test: !!task.gate?.drive,
    });
    if (g.result === 'stop') {
      rec.status = 'pending';
      stampInputs(rec, inputs);
      if (this.o.yes) rec.awaitingOperator = true;
      rec.note = g.reason;
      this.o.store.save();
      this.stop({
        outcome: 'gate',
        stop: { step: step.id, task: task.id, node: key, message: gateStopMessage(step.id, task.id, this.o.store.dir) },
      });
      return 'stopped';
    }
    if (g.result === 'accepted') {
      this.finish(rec, 'skipped', inputs, { summary: g.summary }, g.summary);
      return 'settled';
    }
    // NOTE: a gate's verify (what the tool can check after the operator acted) fails like any task.
    const ev = task.verify ? await task.verify(ctx) : { summary: g.summary };
    this.finish(rec, 'done', inputs, task.verify ? { ...ev, summary: `${g.summary}; ${ev.summary}` } : ev);
    return 'ran';
  }
}

/** The closing lines of a run: what is done, skipped, not yet executable, where it stopped, what next. */
export function summaryLines(
  steps: readonly Step[],
  store: StateStore,
  result: RunResult,
  runbookCmd: string,
): string[] {
  const nodes = store.state.nodes ?? [];
  const g = groupSteps(steps, store.state, nodes);
  const ids = (xs: Step[]) => (xs.length ? xs.map((s) => s.id).join(', ') : '—');
  const lines = [''];
  switch (result.outcome) {
    case 'complete':
      lines.push(
        result.limit
          ? `✔ every selected step is done on ${result.limit} (--limit): the other node's part is not; run them without --limit`
          : '✔ every selected step is done',
      );
      // NOTE: a resume of a finished install: said in so many words, the operator checks for it.
      if (!result.executed.length) lines.push('  nothing to do: every task is done and its inputs are unchanged');
      break;
    case 'gate':
      lines.push(`⏸ ${result.stop!.message}`);
      break;
    case 'not-executable':
      lines.push(`■ stopped: ${result.stop!.message}`);
      break;
    case 'aborted':
      lines.push(`■ ${result.stop!.message}`);
      break;
    case 'skipped':
      lines.push(`■ ran to the end; ${result.stop!.message}`);
      break;
    case 'failed':
      lines.push(`✖ ${result.stop!.step}/${result.stop!.task ?? '?'} on ${result.stop!.node ?? '?'} failed`);
      break;
    case 'interrupted':
      lines.push(`interrupted — resume with: anvil-install resume --state ${store.dir}`);
      break;
  }
  // NOTE: a step skipped at its approval is pending in the state (asked again next run): listed as skipped here.
  const atApproval = new Set(result.skippedSteps ?? []);
  const skipped = steps.filter((s) => g.skipped.includes(s) || atApproval.has(s.id));
  lines.push(`  done:               ${ids(g.done)}`);
  lines.push(`  skipped:            ${ids(skipped)}`);
  if (g.failed.length || g.interrupted.length)
    lines.push(`  failed/interrupted: ${ids([...g.failed, ...g.interrupted])}`);
  const inProgress = g['in-progress'].filter((s) => !atApproval.has(s.id));
  if (inProgress.length) lines.push(`  in progress:        ${ids(inProgress)}`);
  lines.push(`  not yet executable: ${ids(g['not-executable'])}`);
  lines.push(`  state folder:       ${store.dir}`);
  lines.push(`  runbook:            ${runbookCmd}`);
  if (result.outcome !== 'complete' && result.outcome !== 'interrupted' && result.outcome !== 'not-executable')
    lines.push(`  continue with:      anvil-install resume --state ${store.dir}`);
  return lines;
}
