/**
 * `Prompter` implementations: interactive (enquirer through listr2's prompt adapter), `--yes`
 * (defaults only; never invents a value), no terminal, and a fake (answer map) for tests.
 */
import type { ListrTaskWrapper } from 'listr2';
import { ListrEnquirerPromptAdapter } from '@listr2/prompt-adapter-enquirer';
import type { Prompter } from './types.js';
import { MissingAnswer, PromptCancelled } from '../errors.js';

/** `--yes`: every question takes its default; a question without one fails naming its path. */
export class YesPrompter implements Prompter {
  constructor(private readonly why = '--yes was given') {}
  async confirm(message: string, def?: boolean): Promise<boolean> {
    if (def === undefined) throw new MissingAnswer(message, this.why);
    return def;
  }
  async input(message: string, opts: { def?: string; path?: string; secret?: boolean } = {}): Promise<string> {
    if (opts.def === undefined) throw new MissingAnswer(opts.path ?? message, this.why);
    return opts.def;
  }
  async select(message: string, choices: string[], def?: string): Promise<string> {
    if (def === undefined || !choices.includes(def)) throw new MissingAnswer(message, this.why);
    return def;
  }
}

/** An answer in a `FakePrompter` map: a value, or a queue of values used in turn. */
export type FakeAnswer = string | boolean | (string | boolean)[];

/**
 * Answers from a map, for tests. A question is looked up by its `path` (input) first, then by the
 * first key the message contains. An unanswered question fails (`MissingAnswer`) so a test sees it.
 */
export class FakePrompter implements Prompter {
  /** Every question asked, in order. */
  readonly asked: { kind: 'confirm' | 'input' | 'select'; message: string; path?: string }[] = [];
  constructor(private readonly answers: Record<string, FakeAnswer>) {}

  private take(message: string, path?: string): string | boolean {
    const key =
      path !== undefined && path in this.answers ? path : Object.keys(this.answers).find((k) => message.includes(k));
    if (key === undefined)
      throw new MissingAnswer(path ?? message.split('\n')[0], 'the fake prompter has no answer for it');
    const a = this.answers[key];
    if (!Array.isArray(a)) return a;
    if (!a.length) throw new MissingAnswer(path ?? key, 'the fake prompter ran out of answers for it');
    return a.length === 1 ? a[0] : a.shift()!;
  }
  async confirm(message: string): Promise<boolean> {
    this.asked.push({ kind: 'confirm', message });
    const a = this.take(message);
    return a === true || a === 'yes' || a === 'y';
  }
  async input(message: string, opts: { path?: string } = {}): Promise<string> {
    this.asked.push({ kind: 'input', message, path: opts.path });
    return String(this.take(message, opts.path));
  }
  async select(message: string, choices: string[]): Promise<string> {
    this.asked.push({ kind: 'select', message });
    const a = String(this.take(message));
    if (!choices.includes(a)) throw new Error(`fake prompter: "${a}" is not one of ${choices.join(', ')}`);
    return a;
  }
}

/** A FIFO lock: tasks on both nodes run in parallel, but only one question is on screen at a time. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  /** Run `fn` when every earlier holder is done. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

// NOTE: one lock for the whole process: there is one terminal.
const promptLock = new Mutex();
// NOTE: bumped when the operator cancels a question (Ctrl-C/Esc): questions already queued behind it
// (the other node's, in parallel) are cancelled too instead of popping up after the cancel.
let cancels = 0;

// NOTE: how many questions are on screen now (0 or 1: the lock above); the progress tree's spinners
// stand still meanwhile (quiet-spinner.ts).
let waiting = 0;

/** Whether a question waits for the operator's answer now. */
export function questionWaiting(): boolean {
  return waiting > 0;
}

/** Run `ask` as a question on screen: {@link questionWaiting} holds until it is answered or cancelled. */
export async function asQuestion<T>(ask: () => Promise<T>): Promise<T> {
  waiting++;
  try {
    return await ask();
  } finally {
    waiting--;
  }
}

/** Cancel the questions queued behind the one on screen (the operator aborted: nobody else is asked). */
export function cancelQueuedQuestions(): void {
  cancels++;
}

/** Interactive questions, shown inside the running listr2 task through the enquirer adapter. */
export class ListrPrompter implements Prompter {
  constructor(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    private readonly task: ListrTaskWrapper<any, any, any>,
    /** Where keystrokes come from (tests pass a stream; default the process stdin). */
    private readonly stdin?: NodeJS.ReadStream,
  ) {}

  private ask<T>(options: Record<string, unknown>): Promise<T> {
    const queuedAt = cancels;
    return promptLock.run(async () => {
      if (cancels !== queuedAt) throw new PromptCancelled();
      try {
        return await asQuestion(() =>
          this.task
            .prompt(ListrEnquirerPromptAdapter)
            // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-argument -- enquirer takes `stdin`, which the adapter's option type leaves out
            .run<T>({ ...options, ...(this.stdin ? { stdin: this.stdin } : {}) } as any),
        );
      } catch (e) {
        // NOTE: enquirer reports Ctrl-C/Esc as a PromptError (or rejects with nothing at all).
        if (!e || (e as Error).name === 'PromptError' || /cancel/i.test((e as Error).message ?? '')) {
          cancels++;
          throw new PromptCancelled();
        }
        throw e;
      }
    });
  }
  confirm(message: string, def?: boolean): Promise<boolean> {
    return this.ask<boolean>({ type: 'Confirm', message, initial: def ?? false });
  }
  async input(message: string, opts: { def?: string; path?: string; secret?: boolean } = {}): Promise<string> {
    return this.ask<string>({ type: opts.secret ? 'Password' : 'Input', message, initial: opts.def });
  }
  select(message: string, choices: string[], def?: string): Promise<string> {
    const i = def === undefined ? 0 : Math.max(0, choices.indexOf(def));
    // NOTE: a copy: enquirer turns the choices it is given into objects in place (FILE_CHOICES is shared).
    return this.ask<string>({ type: 'Select', message, choices: [...choices], initial: i });
  }
}
