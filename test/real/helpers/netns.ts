/**
 * Network namespaces, veth links and the processes in them, for tests against real programs
 * (fence agents, sshd). Every name carries this process's pid, so parallel test runs do not meet;
 * everything made is recorded and removed by `cleanup()` (call it in afterAll: it never throws).
 * Nothing here touches the host's own network: links exist only between namespaces made here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecOptions, ExecResult, NodeHandle } from '../../../src/engine/types.js';
import type { PlanNode } from '../../../src/plan/derive.js';
import { CommandFailed } from '../../../src/errors.js';
import { q } from '../../../src/engine/shell.js';

/** Result of a command run to completion. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a program (argv, no shell) and wait for it; never throws on a non-zero exit. */
export function run(argv: string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Run a program synchronously; throws with its output on a non-zero exit. */
export function must(argv: string[], input?: string): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', input, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr || r.error?.message}`);
  return r.stdout;
}

/** Whether `prog` is on PATH (or an existing absolute path). */
export function hasProgram(prog: string): boolean {
  if (prog.startsWith('/')) return existsSync(prog);
  return spawnSync('sh', ['-c', `command -v ${prog}`], { stdio: 'ignore' }).status === 0;
}

let netnsOk: string | null | undefined;

/**
 * Why tests needing network namespaces cannot run here (not root, no `ip`, namespaces refused),
 * plus any of `programs` missing; null when they can.
 */
export function netnsUnavailable(programs: string[] = []): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (!hasProgram('ip')) return '`ip` not found (apt-get install iproute2)';
  if (netnsOk === undefined) {
    const probe = `anvr-probe-${process.pid}`;
    const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
    netnsOk = r.status === 0 ? null : `cannot create a network namespace: ${r.stderr.trim()}`;
    spawnSync('ip', ['netns', 'del', probe], { stdio: 'ignore' });
  }
  if (netnsOk) return netnsOk;
  const missing = programs.filter((p) => !hasProgram(p));
  return missing.length ? `missing ${missing.join(', ')}` : null;
}

const made = { netns: [] as string[], etcDirs: [] as string[], children: [] as ChildProcess[], dirs: [] as string[] };
let seq = 0;

/** A short unique tag (for interface names, at most 15 characters with their prefix). */
export function tag(): string {
  return `${(process.pid % 100000).toString(36)}${(seq++).toString(36)}`;
}

/** A network namespace made by this test run. */
export class Netns {
  readonly name: string;

  constructor(label: string) {
    this.name = `anvr-${label}-${process.pid}-${seq++}`;
    must(['ip', 'netns', 'add', this.name]);
    made.netns.push(this.name);
    must(['ip', '-n', this.name, 'link', 'set', 'lo', 'up']);
  }

  /** `ip -n NS ...`. */
  ip(...args: string[]): string {
    return must(['ip', '-n', this.name, ...args]);
  }

  /** Add an address to an interface of this namespace. */
  addr(dev: string, cidr: string): void {
    this.ip('addr', 'add', cidr, 'dev', dev);
  }

  /**
   * Files seen at /etc/<name> by every process started with `ip netns exec` in this namespace
   * (iproute2 bind-mounts /etc/netns/NS/<name> over /etc/<name>): e.g. the rendered `hosts`.
   */
  etcFile(name: string, content: string): void {
    const dir = `/etc/netns/${this.name}`;
    if (!made.etcDirs.includes(dir)) {
      mkdirSync(dir, { recursive: true });
      made.etcDirs.push(dir);
    }
    writeFileSync(join(dir, name), content);
  }

  /** Argv prefix that runs a program in this namespace. */
  argv(...cmd: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...cmd];
  }

  /** Run a program in this namespace and wait for it. */
  run(cmd: string[], opts: { stdin?: string; timeoutMs?: number } = {}): Promise<Run> {
    return run(this.argv(...cmd), opts);
  }

  /** Start a long-running program in this namespace; it is killed by `cleanup()`. */
  spawn(cmd: string[], log?: string): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, ...cmd], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    const keep = (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
      if (log) writeFileSync(log, out);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', () => undefined);
    made.children.push(child);
    return child;
  }
}

/** A veth pair between two namespaces, each end named as given (and brought up). */
export function veth(a: Netns, aDev: string, b: Netns, bDev: string): void {
  const t = `v${tag()}`;
  must(['ip', 'link', 'add', `${t}a`, 'netns', a.name, 'type', 'veth', 'peer', 'name', `${t}b`, 'netns', b.name]);
  a.ip('link', 'set', `${t}a`, 'name', aDev);
  b.ip('link', 'set', `${t}b`, 'name', bDev);
  a.ip('link', 'set', aDev, 'up');
  b.ip('link', 'set', bDev, 'up');
}

/** A scratch folder removed by `cleanup()`. */
export function scratch(label: string): string {
  const dir = `/tmp/anvr-${label}-${process.pid}-${seq++}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  made.dirs.push(dir);
  return dir;
}

/** Kill a child started by `Netns.spawn` (its whole process group) and wait for it to exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
  await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
}

/** Remove everything made here: processes, namespaces, /etc/netns entries, scratch folders. */
export async function cleanup(): Promise<void> {
  for (const c of made.children.splice(0)) await stop(c).catch(() => undefined);
  for (const ns of made.netns.splice(0)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  for (const d of made.etcDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const d of made.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * A `NodeHandle` whose commands run with `sh -c` in a namespace (as root): enough for the tool's
 * own functions that only `exec` (fence agents with options on stdin, a step's read-only verify).
 */
export function netnsHandle(ns: Netns, plan: PlanNode): NodeHandle {
  const exec = async (cmd: string, opts: ExecOptions = {}): Promise<ExecResult> => {
    const r = await ns.run(['sh', '-c', cmd], { stdin: opts.stdin, timeoutMs: opts.timeoutMs });
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: r.ms };
  };
  return {
    plan,
    exec,
    async sh(cmd, opts) {
      const r = await exec(cmd, opts);
      if (r.code !== 0) throw new CommandFailed(plan.name, cmd, r.code, r.stderr);
      return r.stdout;
    },
    async readFile(path) {
      const r = await exec(`cat ${q(path)}`);
      return r.code === 0 ? r.stdout : null;
    },
    writeFile() {
      return Promise.reject(new Error('netnsHandle: writeFile is not used by these tests'));
    },
  };
}
