/**
 * Ctrl-C and SIGTERM for the commands that hold a state folder (`install`, `resume`, `check --force`):
 * from the moment the command starts to its end, either signal saves what there is, releases the
 * lock, prints the resume command and exits 130. The run adds its own part (interrupt the runner,
 * close the log) while it has one.
 */
import { AnvilError } from '../errors.js';
import { warn } from '../output.js';
import type { StateStore } from '../state/store.js';
import { EXIT } from './exit-codes.js';

/** The run was interrupted (Ctrl-C, SIGTERM): the checkpoint is saved, `resume` carries on. */
export class Interrupted extends AnvilError {
  constructor(stateDir: string) {
    super(`interrupted — resume with: anvil-install resume --state ${stateDir}`);
    this.exitCode = EXIT.interrupted;
  }
}

/** Where signals come from and how to exit (tests inject both). */
export interface SignalDeps {
  /** Install SIGINT/SIGTERM handlers (default true; tests turn them off). */
  signals?: boolean;
  /** Where SIGINT/SIGTERM come from (tests: an EventEmitter); default the process. */
  signalSource?: NodeJS.EventEmitter;
  /** How to exit after an interrupt (tests); default `process.exit`. */
  exit?: (code: number) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** One command's signal handling; see {@link guardSignals}. */
export class SignalGuard {
  private store?: StateStore;
  private message?: string;
  private parts: (() => void)[] = [];
  private fired = false;
  private readonly handler = (): void => this.fire();

  constructor(private readonly deps: SignalDeps) {
    const source = this.source();
    for (const s of SIGNALS) source?.on(s, this.handler);
  }

  private source(): NodeJS.EventEmitter | null {
    return this.deps.signals === false ? null : (this.deps.signalSource ?? process);
  }

  /**
   * The state folder, once it is open and locked: an interrupt from now on closes it and, unless
   * `message` says otherwise (a read-only check), prints how to resume.
   */
  attach(store: StateStore, message?: string): void {
    this.store = store;
    if (message !== undefined) this.message = message;
  }

  /** Something to do first on an interrupt (in the reverse order of adding); returns its removal. */
  add(part: () => void): () => void {
    this.parts.push(part);
    return () => {
      this.parts = this.parts.filter((p) => p !== part);
    };
  }

  /** Stop listening (the command is over). */
  dispose(): void {
    const source = this.source();
    for (const s of SIGNALS) source?.off(s, this.handler);
  }

  private fire(): void {
    if (this.fired) return;
    this.fired = true;
    // NOTE: each part runs even when one before it throws: the lock must be released whatever happens.
    for (const p of [...this.parts].reverse()) {
      try {
        p();
      } catch {
        // a log that cannot be written, a runner already unwound: the exit below still happens
      }
    }
    warn(
      this.store
        ? `\n${this.message ?? new Interrupted(this.store.dir).message}`
        : '\ninterrupted before the state folder was opened; nothing was changed',
    );
    try {
      this.store?.close();
    } catch {
      // NOTE: close() releases the lock even when its last write fails; the write failure is moot now.
    }
    this.dispose();
    (this.deps.exit ?? ((c: number) => process.exit(c)))(EXIT.interrupted);
  }
}

const guards = new WeakMap<object, SignalGuard>();

/**
 * The signal guard of a command, created on first use for `key` (the command's deps object) and
 * shared by what it calls (`executeRun`), so there is one handler per command, installed from its
 * first line.
 */
export function guardSignals(key: SignalDeps): { guard: SignalGuard; owner: boolean } {
  const had = guards.get(key);
  if (had) return { guard: had, owner: false };
  const guard = new SignalGuard(key);
  guards.set(key, guard);
  return { guard, owner: true };
}

/** Run `fn` under the command's signal guard (created here unless the caller made one), removed after. */
export async function withSignalGuard<T>(deps: SignalDeps, fn: (g: SignalGuard) => Promise<T>): Promise<T> {
  const { guard, owner } = guardSignals(deps);
  try {
    return await fn(guard);
  } finally {
    if (owner) {
      guard.dispose();
      guards.delete(deps);
    }
  }
}
