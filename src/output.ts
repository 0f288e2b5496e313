/**
 * All user-facing output goes through here, so tests can capture it and steps never touch
 * `console`. Progress rendering (listr2/ora) writes to the same streams.
 */
import { Writable } from 'node:stream';
import { redact } from './plan/derive.js';

/** Where output goes. Tests replace it with `captureOutput()`. */
export interface Output {
  out: Writable;
  err: Writable;
  /** Whether `out` is an interactive terminal (colours, spinners, prompts). */
  isTTY: boolean;
}

let current: Output = {
  out: process.stdout,
  err: process.stderr,
  isTTY: !!process.stdout.isTTY && !process.env.CI,
};

/** The current output sink. */
export function output(): Output {
  return current;
}

/** Replace the output sink (tests); returns the previous one. */
export function setOutput(o: Output): Output {
  const prev = current;
  current = o;
  return prev;
}

let secrets: string[] = [];

/**
 * The secrets of the answers this process loaded (every printed form, `secretValues`): masked in
 * every line `say`, `warn` and the error printer write, whatever code produced the text.
 */
export function setOutputSecrets(values: readonly string[]): void {
  secrets = [...values];
}

/** `text` with the loaded secrets masked. */
export function masked(text: string): string {
  return secrets.length ? redact(text, secrets) : text;
}

/** Print a line to stdout. */
export function say(line = ''): void {
  current.out.write(masked(line) + '\n');
}

/** Print a line to stderr. */
export function warn(line: string): void {
  current.err.write(masked(line) + '\n');
}

/** An in-memory sink for tests. */
export function captureOutput(): Output & { text(): string; errText(): string } {
  const chunks: string[] = [];
  const errChunks: string[] = [];
  const mk = (arr: string[]) =>
    new Writable({
      write(chunk, _enc, cb) {
        arr.push((chunk as Buffer).toString());
        cb();
      },
    });
  return {
    out: mk(chunks),
    err: mk(errChunks),
    isTTY: false,
    text: () => chunks.join(''),
    errText: () => errChunks.join(''),
  };
}
