/**
 * The built CLI as an operator runs it: exit codes of a whole run, and errors worded as
 * `✖ message` + hint, never a stack trace or "internal error" (bad folders, closed pipes, typos).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, ROOT, runCli } from '../helpers/cli-process.js';
import { EXIT, exitCodeFor } from '../../src/commands/exit-codes.js';

const TUTORIAL = join(ROOT, 'examples/tutorial.anvil.yaml');
const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'anvil-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const env = { ...process.env, CI: 'true', NO_COLOR: '1' };
const noTrace = (s: string) => {
  expect(s).not.toMatch(/internal error|\n\s+at .+:\d+:\d+/);
};

describe('exit codes of a run (the lab)', () => {
  it('one code per way a run ends; 0 only when every selected step is done', () => {
    const outcomes = ['complete', 'gate', 'not-executable', 'failed', 'aborted', 'interrupted'] as const;
    expect(outcomes.map(exitCodeFor)).toEqual([0, 3, 4, 1, 5, 130]);
  });

  it('a run that finishes its selection: exit 0, with install.log and what is still to do', async () => {
    const cwd = temp();
    // NOTE: the lab plays every step now, so exit 4 (a step the target cannot run) is covered by the
    // outcome table above; here the selection ends early by choice.
    const r = await runCli(
      ['install', '--lab', '--yes', '--answers', TUTORIAL, '--state', join(cwd, 'st'), '--to', 'security'],
      { cwd, env },
    );
    expect(r.code, r.stderr + r.stdout).toBe(EXIT.ok);
    expect(r.stdout).toContain('✔ every selected step is done');
    expect(r.stdout).toMatch(/tasks × nodes: +\d+ done \(\d+ changed, \d+ unchanged\), 0 failed/);
    expect(r.stdout).toMatch(
      /still to do:\n( {4}- .*\n)* {4}- an-node01: SELinux is enforcing now; reboot for SELINUX=disabled to take effect/,
    );
    const log = readFileSync(join(cwd, 'st', 'install.log'), 'utf8');
    expect(log).toMatch(/==== ended: complete \(exit 0\)/);
  });
});

describe('errors an operator can cause, as ✖ + hint', () => {
  it('unknown options, commands and step ids: exit 2, "did you mean", nothing created', async () => {
    const cwd = temp();
    const a = await runCli(['plan', '--answers', TUTORIAL, '--jsno'], { cwd, env });
    expect(a.code).toBe(EXIT.usage);
    expect(a.stderr).toBe(
      "✖ unknown option '--jsno' — did you mean --json?\n  hint: see `anvil-install plan --help`\n",
    );
    const b = await runCli(['instal'], { cwd, env });
    expect(b.code).toBe(EXIT.usage);
    expect(b.stderr).toContain("✖ unknown command 'instal' — did you mean install?");
    const c = await runCli(
      ['install', '--yes', '--answers', TUTORIAL, '--state', join(cwd, 'st'), '--from', 'netwrok'],
      { cwd, env },
    );
    expect(c.code).toBe(EXIT.usage);
    expect(c.stderr).toMatch(
      /^✖ --from netwrok: no such step — did you mean network\?\n {2}hint: steps are: preflight, /,
    );
    expect(existsSync(join(cwd, 'st'))).toBe(false);
    const d = await runCli(['plan', '--answers', TUTORIAL, '--step', 'hosts.write'], { cwd, env });
    expect(d.stderr).toContain('✖ unknown step "hosts.write" — did you mean hosts?');
  });

  it('unusable --out and --state folders: a worded error, exit 1, no hang on /proc', async () => {
    const cwd = temp();
    writeFileSync(join(cwd, 'afile'), 'x');
    const cases: [string[], RegExp][] = [
      [
        ['render', '-a', TUTORIAL, '-o', '/proc/anvil-out'],
        /^✖ cannot use \/proc\/anvil-out \(--out\) as a folder: cannot create \/proc\/anvil-out: no such file or folder\n {2}hint: /,
      ],
      [
        ['render', '-a', TUTORIAL, '-o', join(cwd, 'afile', 'x')],
        /^✖ cannot use .*afile\/x \(--out\) as a folder: .*afile\/x: a part of the path is a file, not a folder/,
      ],
      [
        ['runbook', '-a', TUTORIAL, '-o', join(cwd, 'no', 'dir', 'x.pdf')],
        /^✖ cannot write .*x\.pdf: the folder .*\/no\/dir does not exist\n {2}hint: create it first/,
      ],
      [
        ['runbook', '-a', TUTORIAL, '-o', '/proc/anvil-x.md'],
        /^✖ cannot open \/proc\/anvil-x\.md: no such file or folder\n {2}hint: /,
      ],
      [
        ['install', '--yes', '-a', TUTORIAL, '--state', join(cwd, 'afile', 'st')],
        /^✖ cannot use .*afile\/st \(--state\) as a folder: .*afile\/st: a part of the path is a file, not a folder\n {2}hint: choose another folder with --state/,
      ],
      [
        ['install', '--yes', '-a', TUTORIAL, '--state', '/proc/anvil-state'],
        /^✖ cannot use \/proc\/anvil-state \(--state\) as a folder/,
      ],
    ];
    for (const [args, want] of cases) {
      const r = await runCli(args, { cwd, env });
      expect(r.code, args.join(' ')).toBe(EXIT.failed);
      expect(r.stderr).toMatch(want);
      noTrace(r.stderr);
    }
  });

  it('a reader that quits early (plan | less, then q) ends the run quietly', async () => {
    const proc = spawn(process.execPath, [BIN, 'plan', '--answers', TUTORIAL], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // NOTE: like `head -c 1`: read the first chunk, then close the pipe.
    proc.stdout.once('data', () => proc.stdout.destroy());
    const code = await new Promise<number | null>((r) => proc.on('close', (c) => r(c)));
    expect(err).toBe('');
    expect(code).toBe(0);
  });

  it('runbook -o - writes the document to stdout and the note to stderr', async () => {
    const cwd = temp();
    const r = await runCli(['runbook', '-a', TUTORIAL, '-o', '-', '-f', 'md'], { cwd, env });
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('# Runbook: Anvil! an-cluster-A\n')).toBe(true);
    expect(r.stderr).toMatch(/^Wrote the runbook of an-cluster-A \(20 steps, \d+ tasks\) to stdout \(md\)\.\n$/);
    expect(existsSync(join(cwd, '-'))).toBe(false);
    const r2 = await runCli(['runbook', '-a', TUTORIAL, '-o', '-'], { cwd, env });
    expect(r2.stderr).toBe('✖ --out - needs a --format\n  hint: pass --format md, html or pdf\n');
  });

  it('--help of the program, install and resume shows the exit codes', async () => {
    for (const args of [['--help'], ['install', '--help'], ['resume', '--help']]) {
      const r = await runCli(args, { cwd: ROOT, env });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /Exit codes:\n {2}0 +every selected step is done[\s\S]*\n {2}3 +stopped at an operator gate[\s\S]*\n {2}4 +stopped before a step[\s\S]*\n {2}5 +aborted by the operator[\s\S]*\n {2}130 +interrupted/,
      );
    }
  });
});
