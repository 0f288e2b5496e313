/**
 * The shape of a step. One definition drives execution, `plan`, `render` and the runbook
 * (DESIGN.md "One source of truth"). Steps never import ssh2, node:fs or enquirer: everything
 * they touch comes through `TaskContext`.
 */
import type { Plan, PlanNode } from '../plan/derive.js';
import type { OperatorHands } from './hands.js';
import type { Prompter } from './prompter.js';

export type { Prompter } from './prompter.js';

/** Where a task runs. `both`: both nodes in parallel; `each`: node 1 then node 2; `local`: the operator's machine. */
export type TaskOn = 'both' | 'each' | 'node1' | 'node2' | 'local';

/** safe: idempotent, re-run freely; once: destructive, guarded by `done`; gate: the operator acts. */
export type TaskKind = 'safe' | 'once' | 'gate';

/** A file a task writes: rendered from an ejs template under `templates/`. */
export interface FileSpec {
  /** Absolute path on the node. */
  path: string;
  /**
   * Template path relative to `templates/`, e.g. `network/ifcfg-eth.ejs`. For an `edit` file it is
   * the stock file of a fresh install, used where the node's own copy is not at hand (render, runbook).
   */
  template: string;
  /**
   * For files the tutorial edits rather than replaces (lvm.conf, selinux/config, ntp.conf): the
   * change applied to the node's current content. Must be idempotent: edit(edit(x)) === edit(x).
   */
  edit?(current: string): string;
  /** Extra template locals (the template always gets `p` = Plan and `n` = PlanNode). */
  locals?: Record<string, unknown>;
  /** File mode, default 0o644. */
  mode?: number;
  /**
   * How the original is kept: `/root/backups/<name>` (tutorial style) or `<path>.orig`. `none` marks a
   * file the tutorial creates; should one exist anyway it is kept as `<path>.orig` all the same.
   */
  backup?: 'root-backups' | 'orig' | 'none';
  /** The rendered content holds secrets: masked in plan/runbook, mode 0600 in `render` output. */
  secret?: boolean;
  /**
   * The task's own commands then copy this file to the peer (the tutorial's `rsync ... root@peer:`),
   * so the peer ends up with the same file: `render` and the runbook list it under both nodes.
   */
  copiedTo?: 'peer';
}

/** Result of one remote command. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds. */
  ms: number;
}

/** Options for one remote command. */
export interface ExecOptions {
  /** Per-command timeout in ms. */
  timeoutMs?: number;
  /** Data written to the command's stdin (e.g. a password for `passwd --stdin`); never journaled. */
  stdin?: string;
}

/** A node as the steps see it: its plan entry and what can be done to it. */
export interface NodeHandle {
  /** The node's plan entry. */
  readonly plan: PlanNode;
  /** Run a shell command; resolves whatever the exit code. */
  exec(cmd: string, opts?: ExecOptions): Promise<ExecResult>;
  /** Run a shell command; throws `CommandFailed` on a non-zero exit; returns stdout. */
  sh(cmd: string, opts?: ExecOptions): Promise<string>;
  /** Read a file; null when it does not exist. */
  readFile(path: string): Promise<string | null>;
  /** Write a file atomically (temp + rename) after backing up the original. */
  writeFile(path: string, content: string, opts?: { mode?: number; backup?: FileSpec['backup'] }): Promise<void>;
  /** Wait for the node to come back after a reboot or network restart (reconnects). */
  waitForReconnect?(timeoutMs?: number): Promise<void>;
}

/** What a verify saw, kept in the state file as evidence. */
export interface Evidence {
  summary: string;
  details?: Record<string, string | number | boolean>;
}

/** Everything a task function gets. */
export interface TaskContext {
  plan: Plan;
  /** The node this run of the task is for. */
  node: NodeHandle;
  /** The other node. */
  peer: NodeHandle;
  prompt: Prompter;
  log(message: string): void;
  /**
   * Something the operator must still do after the run (a reboot for a setting to take effect): noted
   * like `log`, and listed under "still to do" in the closing summary unless `settled`, a read-only
   * probe run as the run ends, says it happened meanwhile (a later reboot took care of it).
   */
  todo?(message: string, settled?: () => Promise<boolean>): void;
  /** Record a discovered value (e.g. captured MACs) so later tasks and resumes see it. */
  capture(key: string, value: unknown): void;
  /** A value recorded earlier by `capture` (this run or a previous one). */
  captured<T = unknown>(key: string): T | undefined;
}

/** What a gate that drives its own test gets besides the task context. */
export interface DriveContext extends TaskContext {
  /** Cable pulls and switch power: the operator on real hardware, the lab's faults on the lab. */
  hands: OperatorHands;
  /** Whether the nodes are the lab's (destructive tests then need no confirmation). */
  lab: boolean;
  /**
   * Ask the operator before something destructive (a node crashed, a power outlet cut). Always true
   * on the lab; on real nodes a refusal stops the test, which is then recorded as not run.
   */
  confirmDestructive(what: string): Promise<boolean>;
}

/** A manual test table as the tutorial prints it (e.g. the four fence tests). */
export interface TestTable {
  title: string;
  columns: string[];
  rows: string[][];
}

/** What the operator must do at a `gate` task. */
export interface Gate {
  /** Instructions, plain text (may contain several lines). */
  instruct(p: Plan): string;
  /** Items the operator ticks off, in order. */
  checklist?(p: Plan): string[];
  /** Yes/No tables printed in the runbook. */
  tables?(p: Plan): TestTable[];
  /**
   * The tool runs the test itself: checks the starting state, acts (through `hands` where a person
   * is needed), watches, decides, and returns the evidence. Throws `VerifyFailed` with what it saw
   * when the test fails. Without `drive` the operator does the checklist.
   */
  drive?(ctx: DriveContext): Promise<Evidence>;
  /**
   * What the test acts on, a line per act (victim, method, the exact command; passwords masked), for
   * the step's approval screen: the operator approves these acts, not just the test's name.
   */
  acts?(p: Plan): string[];
  /** The heading of `acts` on the screen (what its columns are), default "what it does". */
  actsHeading?: string;
  /**
   * Why the test must not start now on a platform that already runs (what runs where), or undefined
   * when it may. Asked before a test the operator names again (`install --retest STEP`): a test is
   * only ever repeated from a safe state, never by stopping what carries the guests.
   */
  unsafe?(ctx: TaskContext): Promise<string | undefined>;
}

/**
 * How a done task is re-applied to the running platform when a changed answer or secret re-opens
 * it: the tutorial's update procedure (e.g. cluster.conf: the final form with config_version above
 * the running one, `ccs_config_validate`, `cman_tool version -r`), never a replay of the first build.
 * It replaces the task's files, commands and `run`; it must be idempotent, so that a re-apply
 * interrupted at any point ends, when resumed, in the same final form.
 */
export interface LiveApply {
  /** What it does to the running cluster, in words (the plan and the approval screen say it). */
  summary(p: Plan, n: PlanNode): string;
  /** The commands it runs, as the operator would type them. */
  commands(p: Plan, n: PlanNode): string[];
  run(ctx: TaskContext): Promise<void>;
  /** Read-only: the change is in effect on the running platform; throws `VerifyFailed` otherwise. */
  verify(ctx: TaskContext): Promise<Evidence>;
}

/** One unit of work and one checkpoint key. */
export interface Task {
  /** Stable id, e.g. `drbd.create-md`: the checkpoint key. */
  id: string;
  title: string;
  on: TaskOn;
  kind: TaskKind;
  /** Files written on each node this task runs on, in order, before the commands. */
  files?(p: Plan, n: PlanNode): FileSpec[];
  /** Shell commands run in order on each node (after the files). */
  commands?(p: Plan, n: PlanNode): string[];
  /** Custom execution where files + commands are not enough (replaces running `commands`). */
  run?(ctx: TaskContext): Promise<void>;
  /**
   * The commands as `run` will run them on this node, worked out read-only before the step's approval
   * (values read from the node filled in, wrappers as run); the approval screen shows these instead
   * of `commands` (which stay what a person types, for the plan and the runbook). Not in the input hash.
   */
  preview?(ctx: TaskContext): Promise<string[]>;
  /** `once` tasks: has this already happened on this node? (probe of real state) */
  done?(ctx: TaskContext): Promise<boolean>;
  /** Read-only check of real state; throws `VerifyFailed` with what it saw. */
  verify?(ctx: TaskContext): Promise<Evidence>;
  /** What the verify expects, in words (plan and runbook "what to check"). */
  expect?(p: Plan, n: PlanNode): string[];
  /** Output the tutorial shows for the commands (runbook "expected output"). */
  expectedOutput?(p: Plan, n: PlanNode): string;
  gate?: Gate;
  /**
   * A one-time transition of the first build, not a desired state (e.g. "stop DRBD before rgmanager
   * takes it over"): once done it is never run again because a later answer changed, since on a
   * running cluster it would stop what now carries the guests. The text says why, for the plan.
   */
  firstBuildOnly?: string;
  /**
   * A file this task checks or pushes without writing it (validate, push): a drift it finds is the
   * file's, repaired by the step that owns the file's final form (`repairSteps`).
   */
  concerns?: string;
  /** How the task is re-applied to a running platform when a change re-opens it (else it simply runs again). */
  live?: LiveApply;
  /**
   * What the task interrupts on the node, in words (a reboot, a network restart, a crash): called
   * out on the step's approval screen so nobody is surprised by a dropped session.
   */
  disrupts?: string;
  /**
   * `once` tasks: the device or resource the task destroys or replaces on this node (`/dev/sda`,
   * `/dev/drbd0 /dev/drbd1`). On real nodes the operator types the node name and this to let it run.
   */
  destroys?(p: Plan, n: PlanNode): string;
}

/** One tutorial step: a titled group of tasks. */
export interface Step {
  id: string;
  title: string;
  /** Why, from the tutorial (a paragraph or two). */
  doc: string;
  /** Warnings the tutorial prints for this step. */
  warnings?: string[] | ((p: Plan) => string[]);
  /**
   * What goes wrong later when the operator skips this step at its approval (the approval question
   * says it): which later steps need it and how they will fail.
   */
  ifSkipped?: string;
  /**
   * Each node's part of the step stands alone (nothing of it reads or needs the other node): the
   * step may run on one node only (`install --limit NODE`), e.g. for a node that arrives later.
   */
  perNode?: boolean;
  tasks: Task[];
}

/** A step's warnings for this plan. */
export function stepWarnings(s: Step, p: Plan): string[] {
  return typeof s.warnings === 'function' ? s.warnings(p) : (s.warnings ?? []);
}

/** Which nodes a task runs on, in run order. */
export function nodesFor(p: Plan, on: TaskOn): PlanNode[] {
  switch (on) {
    case 'both':
    case 'each':
      return [...p.nodes];
    case 'node1':
      return [p.nodes[0]];
    case 'node2':
      return [p.nodes[1]];
    case 'local':
      return [];
  }
}

/** Whether the engine can execute this task (it has a way to run and to verify). */
export function isExecutable(t: Task): boolean {
  if (t.kind === 'gate') return true;
  return !!t.verify && !!(t.run || t.commands || t.files);
}
