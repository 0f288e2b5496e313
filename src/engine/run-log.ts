/**
 * `install.log` in the state folder: a plain-text transcript of every run (install, resume) that is
 * always written, whatever the terminal shows: what was printed, every question with the answer
 * given (file diffs included, with "approved" / "skipped" / "refused"), notes of tasks and
 * transports, and the time each task and step took. Secrets are masked; colour codes are stripped.
 * Also keeps the run's tally (tasks done / changed / unchanged / failed) and what the operator
 * still has to do, for the closing summary.
 */
import { appendFileSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Output } from '../output.js';
import { redact } from '../plan/derive.js';
import type { Evidence, Prompter } from './types.js';

/** The log's file name inside the state folder. */
export const RUN_LOG_FILE = 'install.log';

// NOTE: CSI/OSC escape sequences (colours, cursor moves of the progress tree).
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

/** Remove terminal escape codes. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** How one task ended on one node, as the tally counts it. */
export type TaskTallyOutcome = 'changed' | 'unchanged' | 'failed' | 'stopped';

/** `1m 05s`, `12.3 s`. */
export function elapsedText(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h ? `${h}h ${String(m).padStart(2, '0')}m ${r}s` : `${m}m ${r}s`;
}

/** Something the operator still has to do after the run. */
export interface TodoItem {
  text: string;
}

/** How long a to-do item's probe may take before the item is kept as it is. */
const SETTLE_PROBE_MS = 15_000;

/** A note that says a reboot is still needed (e.g. "SELinux is enforcing now; reboot for SELINUX=disabled to take effect"). */
/** The note `rebootAndWait` leaves once a node is back from a reboot. */
const BACK_AFTER_REBOOT = /(\S+): back after the reboot$/;

const NEEDS_REBOOT = /\breboot\b.*\b(take effect|needed|required)\b|\bmust reboot\b/i;

/**
 * The transcript of one run. Every method is synchronous (appendFileSync) so nothing is lost when
 * the process exits at once (Ctrl-C).
 */
export class RunLog {
  readonly file: string;
  readonly startedAt = Date.now();
  private readonly tally = { changed: 0, unchanged: 0, failed: 0 };
  private readonly todo: string[] = [];
  private readonly settledBy = new Map<string, () => Promise<boolean>>();
  private readonly taskStarts = new Map<string, number>();
  private readonly displays = new Map<string, (text: string) => void>();
  private closed = false;

  /**
   * @param dir the state folder
   * @param secrets every secret value (masked wherever it appears)
   * @param what the command line being run (for the header), secrets already absent
   */
  constructor(
    dir: string,
    private readonly secrets: string[],
    what: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.file = join(dir, RUN_LOG_FILE);
    // NOTE: created 0600: it holds node output and diffs (secrets masked, but still the site's details).
    closeSync(openSync(this.file, 'a', 0o600));
    this.write(`==== ${what} — started ${this.now().toISOString()} (pid ${process.pid})`);
  }

  /** Append lines (masked, uncoloured), each stamped with the time. */
  write(text: string): void {
    if (this.closed) return;
    const t = this.now().toISOString().slice(11, 23);
    const body = stripAnsi(redact(text, this.secrets)).replace(/\r/g, '');
    const lines = body.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    appendFileSync(this.file, lines.map((l) => `${t}  ${l}`.trimEnd()).join('\n') + '\n');
  }

  /** `text` with the secrets masked and colours removed, for the screen. */
  mask(text: string): string {
    return stripAnsi(redact(text, this.secrets));
  }

  /** A question and the answer given (`secret`: the answer is shown as ********). */
  question(kind: string, message: string, answer: unknown, secret = false): void {
    const shown = secret ? '********' : typeof answer === 'string' ? answer : JSON.stringify(answer);
    this.write(`? ${message}\n→ ${shown}`);
    const file = /^(.*): write (\S+) \(\+\d+ -\d+\)\?$/m.exec(message);
    if (kind === 'select' && file) {
      const verdict =
        answer === 'approve'
          ? 'approved'
          : answer === 'skip'
            ? 'skipped'
            : answer === 'abort'
              ? 'refused (abort)'
              : String(answer);
      this.write(`diff of ${file[2]} on ${file[1]}: ${verdict}`);
    }
  }

  /** A question that got no answer (cancelled, or failed). */
  unanswered(message: string, why: string): void {
    this.write(`? ${message}\n→ (no answer: ${why})`);
  }

  /** A note from a task or a transport (`node`: who it is about, prefixed unless the note names it). */
  note(node: string | undefined, message: string, where?: string): void {
    const m =
      node && !message.startsWith(`${node}:`) && !message.startsWith(`${node} `) ? `${node}: ${message}` : message;
    this.write(`  ${m}${where ? `  [${where}]` : ''}`);
    if (NEEDS_REBOOT.test(m) && !this.todo.includes(m)) this.todo.push(m);
    // NOTE: a node that rebooted later in the run no longer needs the reboot an earlier note asked for.
    const back = BACK_AFTER_REBOOT.exec(m)?.[1];
    if (back)
      for (let i = this.todo.length - 1; i >= 0; i--)
        if (this.todo[i].startsWith(`${back}:`) && NEEDS_REBOOT.test(this.todo[i])) this.todo.splice(i, 1);
  }

  /** Where a note about `node` is shown while one of its tasks runs (the progress tree); undefined clears it. */
  setDisplay(node: string, show: ((text: string) => void) | undefined): void {
    if (show) this.displays.set(node, show);
    else this.displays.delete(node);
  }

  /** Show a note about `node` in its running task, if one runs; false when none does. */
  display(node: string, text: string): boolean {
    const show = this.displays.get(node);
    if (!show) return false;
    show(stripAnsi(redact(text.startsWith(`${node}:`) ? text : `${node}: ${text}`, this.secrets)));
    return true;
  }

  /**
   * Something the operator must still do, listed in the summary; `settled`: a read-only probe that
   * {@link settleTodo} runs as the run ends, dropping the item when it says it happened meanwhile.
   */
  addTodo(text: string, settled?: () => Promise<boolean>): void {
    if (!this.todo.includes(text)) this.todo.push(text);
    if (settled) this.settledBy.set(text, settled);
  }

  /**
   * As the run ends (the nodes still connected): drop each to-do item its probe finds settled (a
   * reboot later in the run, a fence, a power cycle, already applied the setting). A probe that fails
   * (a node that is down) keeps its item.
   */
  async settleTodo(): Promise<void> {
    for (const [text, settled] of [...this.settledBy]) {
      this.settledBy.delete(text);
      // NOTE: already dropped (the node's note said it is back from a reboot): nothing to ask.
      if (!this.todo.includes(text)) continue;
      let done = false;
      try {
        // NOTE: wall time, not the lab's: a node that does not answer must not hold the summary back.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), SETTLE_PROBE_MS).unref()));
        done = await Promise.race([settled(), late]).finally(() => clearTimeout(timer));
      } catch {
        // NOTE: nothing could be read: the item stays, the operator checks it
      }
      if (!done) continue;
      const i = this.todo.indexOf(text);
      if (i >= 0) this.todo.splice(i, 1);
      this.write(`  no longer to do, settled since: ${text}`);
    }
  }

  /** A step begins. */
  stepStart(id: string, title: string): void {
    this.write(`step ${id}: ${title}`);
  }

  /** A step ended (`how`: done, stopped, failed, skipped...). */
  stepEnd(id: string, how: string, ms: number): void {
    this.write(`step ${id}: ${how} in ${elapsedText(ms)}`);
  }

  /** A task starts on a node. */
  taskStart(task: string, key: string): void {
    this.taskStarts.set(`${task}@${key}`, Date.now());
  }

  /** A task ended on a node; counted in the tally. */
  taskEnd(task: string, key: string, outcome: TaskTallyOutcome, detail?: string): void {
    const t0 = this.taskStarts.get(`${task}@${key}`) ?? Date.now();
    this.taskStarts.delete(`${task}@${key}`);
    if (outcome !== 'stopped') this.tally[outcome]++;
    this.write(`task ${task} on ${key}: ${outcome}${detail ? ` (${detail})` : ''} in ${elapsedText(Date.now() - t0)}`);
  }

  /**
   * What a task saw on a node (its evidence, as kept in the state file): the summary; with `details`
   * (a test) every detail too, one per line, so the log holds what the test decided on.
   */
  evidence(task: string, key: string, e: Evidence, details: boolean): void {
    const lines = [`  evidence of ${task} on ${key}: ${e.summary}`];
    if (details)
      for (const [k, v] of Object.entries(e.details ?? {}))
        lines.push(...`${k}: ${String(v)}`.split('\n').map((l, i) => `${i ? '      ' : '    - '}${l}`));
    this.write(lines.join('\n'));
  }

  /** The counts line, the elapsed time and the to-do list, for the closing summary. */
  summaryLines(extraTodo: string[] = []): string[] {
    const { changed, unchanged, failed } = this.tally;
    const lines = [
      `  tasks × nodes:      ${changed + unchanged} done (${changed} changed, ${unchanged} unchanged), ${failed} failed`,
      `  elapsed:            ${elapsedText(Date.now() - this.startedAt)}`,
      `  log:                ${this.file}`,
    ];
    const todo = [...this.todo, ...extraTodo.filter((t) => !this.todo.includes(t))];
    if (todo.length) lines.push('  still to do:', ...todo.map((t) => `    - ${redact(t, this.secrets)}`));
    return lines;
  }

  /** Write the closing line; later writes are dropped. */
  close(how: string): void {
    this.write(`==== ended: ${how} after ${elapsedText(Date.now() - this.startedAt)}`);
    this.closed = true;
  }

  /** An output sink that writes to `o` and to this log (whole lines, masked, uncoloured). */
  tee(o: Output): Output {
    const mk = (dest: Writable) => {
      let pending = '';
      const w = new Writable();
      // NOTE: write is replaced, not implemented through _write: a Writable queues a write made while
      // another is in flight, and the screen must see every line at once (tests read it right after).
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      w.write = ((chunk: any, enc?: any, cb?: any) => {
        pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
        const nl = pending.lastIndexOf('\n');
        if (nl >= 0) {
          this.write(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
        // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- Writable.write's own arguments, passed through
        return dest.write(chunk, enc, cb);
      }) as Writable['write'];
      return w;
    };
    return { out: mk(o.out), err: mk(o.err), isTTY: o.isTTY };
  }
}

/** A prompter that records every question and answer in the run log. */
export class LoggingPrompter implements Prompter {
  constructor(
    private readonly inner: Prompter,
    private readonly log: RunLog,
  ) {}
  private async asked<T>(kind: string, message: string, secret: boolean, ask: () => Promise<T>): Promise<T> {
    try {
      const a = await ask();
      this.log.question(kind, message, a, secret);
      return a;
    } catch (e) {
      this.log.unanswered(message, (e as Error)?.message ?? String(e));
      throw e;
    }
  }
  confirm(message: string, def?: boolean): Promise<boolean> {
    return this.asked('confirm', message, false, () => this.inner.confirm(message, def));
  }
  input(message: string, opts: { def?: string; path?: string; secret?: boolean } = {}): Promise<string> {
    return this.asked('input', message, !!opts.secret, () => this.inner.input(message, opts));
  }
  select(message: string, choices: string[], def?: string): Promise<string> {
    return this.asked('select', message, false, () => this.inner.select(message, choices, def));
  }
}
