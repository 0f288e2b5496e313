/**
 * The built CLI as a child process for the kill campaigns: a wizard run (to be killed or to finish)
 * and `lab serve`, whose world outlives the wizard as real nodes would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is dist/src/bench/ once built, src/bench/ under vitest). */
export const ROOT = resolve(
  fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../..' : '../..', import.meta.url)),
);
/** The CLI launcher. */
export const BIN = join(ROOT, 'bin', 'anvil-install.js');
let answers = join(ROOT, 'examples', 'tutorial.anvil.yaml');

/** The answers the campaigns install: the tutorial's unless `useAnswers` named others (`--answers`). */
export function answersFile(): string {
  return answers;
}

/** Install `file` in the campaigns instead of the tutorial's answers. */
export function useAnswers(file: string): void {
  answers = resolve(file);
}

/** A finished CLI run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

/** Start the CLI; `done` resolves when it exits, killed or not. */
export function startCli(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): { proc: ChildProcess; done: Promise<CliRun> } {
  const proc = spawn(process.execPath, [BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, done: new Promise((r) => proc.on('close', (code, signal) => r({ code, signal, out }))) };
}

/** A lab served from `labDir` by its own process, once it printed its ready line. */
export async function serveLab(labDir: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const { proc } = startCli(['lab', 'serve', '--answers', answersFile(), '--state', labDir], cwd, env);
  await new Promise<void>((res, rej) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^lab ready/m.test(out)) res();
    });
    proc.on('exit', (c) => rej(new Error(`lab serve exited (${c}) before ready: ${out}`)));
  });
  return proc;
}

/** Stop a served lab and wait until it has saved its world and exited. */
export async function stopLab(lab: ChildProcess): Promise<void> {
  if (lab.exitCode !== null || lab.signalCode !== null) return;
  const gone = new Promise((r) => lab.once('exit', r));
  lab.kill('SIGTERM');
  await gone;
}
