/**
 * The drift report of `anvil-install check` as plain text: per step, one row per task and node
 * (`ok` with the evidence, `DRIFT` with what the verify saw, `not checked` and why), written as the
 * results come in, then a summary with what to do next.
 */
import type { Step } from '../engine/types.js';
import type { StateFile } from '../state/types.js';
import { nodeKeys } from '../engine/summary.js';
import { driftCauses, driftCounts, hardwareOnly, type DriftFinding, type DriftStatus } from '../engine/drift.js';

const LABEL: Record<DriftStatus, string> = { ok: 'ok', drift: 'DRIFT', error: 'ERROR', 'not-checked': 'not checked' };

/** Writes the report line by line through `write` (the command passes `say`, which masks secrets). */
export class DriftReport {
  private readonly taskWidth: number;
  private readonly nodeWidth: number;
  private readonly statusWidth = Math.max(...Object.values(LABEL).map((l) => l.length));
  /** Steps whose rows are left out: nothing of them is done yet. */
  private readonly quiet = new Set<string>();
  /** Each cause reported so far (`Cause.key`) → the task and node whose row showed it first. */
  private readonly shown = new Map<string, string>();

  constructor(
    private readonly steps: readonly Step[],
    private readonly state: StateFile,
    private readonly nodes: readonly string[],
    private readonly write: (line: string) => void,
  ) {
    this.taskWidth = Math.max(4, ...steps.flatMap((s) => s.tasks.map((t) => t.id.length)));
    const local = steps.some((s) => s.tasks.some((t) => t.on === 'local'));
    this.nodeWidth = Math.max(4, ...nodes.map((n) => n.length), local ? 'local'.length : 0);
  }

  /** The heading of a step (one line alone when none of its tasks is done yet). */
  step(s: Step): void {
    const anyDone = s.tasks.some((t) =>
      nodeKeys(t.on, this.nodes).some((k) => this.state.tasks[t.id]?.[k]?.status === 'done'),
    );
    this.write('');
    if (anyDone) {
      this.write(`${s.id} — ${s.title}`);
      return;
    }
    this.quiet.add(s.id);
    this.write(`${s.id} — ${s.title}: no task done yet, not checked`);
  }

  /** One task on one node. */
  finding(f: DriftFinding): void {
    if (this.quiet.has(f.step)) return;
    const head = `  ${f.task.padEnd(this.taskWidth)}  ${f.node.padEnd(this.nodeWidth)}  ${LABEL[f.status].padEnd(this.statusWidth)}  `;
    const pad = ' '.repeat(head.length);
    // NOTE: what a verify saw may span lines (a file's content): they stay under the column.
    const block = (first: string, text: string) =>
      this.write(`${first}${text.trimEnd().split('\n').join(`\n${pad}  `)}`);
    if (f.status === 'drift') {
      // NOTE: one cause, one report: a check that sees only causes shown above points to them.
      const causes = f.causes ?? [];
      if (causes.length && causes.every((c) => this.shown.has(c.key))) {
        const firsts = [...new Set(causes.map((c) => this.shown.get(c.key)!))];
        this.write(`${head}same cause as ${firsts.join(', ')} (${causes.map((c) => c.key).join(', ')})`);
        return;
      }
      for (const c of causes) if (!this.shown.has(c.key)) this.shown.set(c.key, `${f.task} on ${f.node}`);
      block(`${head}saw: `, f.detail);
      if (f.expected) block(`${pad}expected: `, f.expected);
      for (const c of causes.filter((x) => x.hardware)) block(`${pad}cause: `, `${c.text} (hardware: fix it by hand)`);
      return;
    }
    block(head, f.status === 'error' ? `could not check: ${f.detail}` : f.detail);
  }

  /**
   * The closing lines: counts, each drift by task and node, what to run next. `repair`: the steps
   * that own the drifted files' final forms (`repairSteps`), suggested instead of the drifted steps.
   */
  summary(findings: readonly DriftFinding[], stateDir: string, repair?: readonly string[]): void {
    const c = driftCounts(findings);
    const checked = c.ok + c.drift + c.error;
    this.write('');
    this.write(
      `${checked} task record${checked === 1 ? '' : 's'} checked (task × node): ${c.ok} ok, ${c.drift} drifted${c.error ? `, ${c.error} could not be checked` : ''}; ${c.notChecked} not checked`,
    );
    if (c.drift) {
      this.write(
        `✖ drift: ${findings
          .filter((f) => f.status === 'drift')
          .map((f) => `${f.task} on ${f.node}`)
          .join(', ')}`,
      );
      // NOTE: a re-apply keeps a step's gates (their tests are not repeated): it cannot mend what they saw.
      const gateOnly = (id: string) =>
        findings.every(
          (f) =>
            f.step !== id ||
            f.status !== 'drift' ||
            this.steps.find((s) => s.id === id)?.tasks.find((t) => t.id === f.task)?.kind === 'gate',
        );
      // NOTE: a step is not suggested for a drift only hands can mend (a cable out): re-applying it would not.
      const byHand = (id: string) => findings.every((f) => f.step !== id || f.status !== 'drift' || hardwareOnly(f));
      const steps = repair ?? c.driftedSteps.filter((id) => !gateOnly(id) && !byHand(id));
      const causes = driftCauses(findings);
      if (causes.length < c.drift) {
        this.write(`  ${causes.length} cause${causes.length === 1 ? '' : 's'}:`);
        for (const { cause, texts, seenBy } of causes) {
          const who = seenBy.map((f) => `${f.task} on ${f.node}`);
          const seen = who.length > 3 ? `${who.slice(0, 3).join(', ')} and ${who.length - 3} more` : who.join(', ');
          this.write(
            `    - ${cause.hardware ? 'hardware: ' : ''}${texts.map((t) => t.split('\n')[0]).join(' / ')} (seen by ${seen})`,
          );
        }
      }
      const hands = causes.filter((x) => x.cause.hardware);
      if (hands.length) {
        this.write('  hardware to fix by hand first (re-applying a step cannot), then check again:');
        for (const { cause } of hands) this.write(`    ${cause.text}`);
      }
      if (steps.length) {
        this.write(
          '  re-apply a step (its tasks run again by the resume rules; destructive ones never twice), then check again:',
        );
        for (const id of steps) this.write(`    anvil-install check --state ${stateDir} --only ${id} --force`);
      }
      const tests = c.driftedSteps.filter((id) => gateOnly(id) && !byHand(id));
      if (tests.length)
        this.write(
          `  ${tests.join(', ')}: what an operator test left is no longer so; fix the cause (re-applying keeps the test), then check again`,
        );
      if (!hands.length)
        this.write('  a drift the install cannot undo (a pulled cable, a dead switch port) needs hands first');
    } else if (c.error)
      this.write(
        '✖ some tasks could not be checked (see ERROR above): fix the cause (node unreachable?) and check again',
      );
    else this.write(checked ? '✔ no drift: every done task still verifies' : '✔ nothing to check yet');
    const notDone = findings.some((f) => f.why === 'not-done');
    if (notDone)
      this.write(`  tasks not done yet: carry on the install with \`anvil-install resume --state ${stateDir}\``);
  }
}
