/**
 * The built CLI (`bin/anvil-install.js`, dist/ from test/global-setup.ts) as a subprocess: run to
 * completion, or `lab serve` until its ready line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The CLI launcher. */
export const BIN = join(ROOT, 'bin', 'anvil-install.js');

/** Where and how a subprocess runs. */
export interface ProcOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** Result of a finished CLI run. */
export interface CliResult {
  code: number | null;
  signal?: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start the CLI; `done` resolves when it exits (also when killed). */
export function startCli(
  args: string[],
  o: ProcOptions,
  input?: string,
): { proc: ChildProcess; done: Promise<CliResult> } {
  const proc = spawn(process.execPath, [BIN, ...args], {
    cwd: o.cwd,
    env: o.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdin.end(input ?? '');
  const done = new Promise<CliResult>((res) =>
    proc.on('close', (code, signal) => res({ code, signal, stdout, stderr })),
  );
  return { proc, done };
}

/** Run the CLI to completion. */
export async function runCli(args: string[], o: ProcOptions, input?: string): Promise<CliResult> {
  const { code, stdout, stderr } = await startCli(args, o, input).done;
  return { code, stdout, stderr };
}

/** A `lab serve` process, once it printed its ready line. */
export interface Serving {
  proc: ChildProcess;
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start `anvil-install lab serve ARGS` and wait for "lab ready". */
export function serveLab(args: string[], o: ProcOptions): Promise<Serving> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, [BIN, 'lab', 'serve', ...args], {
      cwd: o.cwd,
      env: o.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      proc.on('exit', (code, signal) => r({ code, signal })),
    );
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^lab ready/m.test(out)) res({ proc, out: () => out, exited });
    });
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    void exited.then((x) => rej(new Error(`lab serve exited (${x.code ?? x.signal}) before ready:\n${out}\n${err}`)));
  });
}
