/**
 * A small world that honours the lab contract (src/lab/types.ts) for testing the SSH server,
 * persistence and CLI without the real simulated nodes. In-memory filesystem; a shell that knows
 * `echo [> FILE | >&2]`, `cat [FILE...]`, `true`, `false`, `exit N`, `printenv NAME`, `pwd`,
 * `touch FILE`, `hang` (never returns) and `count` (a persisted counter, `count` prints it after
 * incrementing); anything else is "command not found" (127).
 *
 * NOTE: only type imports from src/ (erased), so tests can transpile this file alone to plain JS
 * and serve it from a `lab serve` subprocess through ANVIL_LAB_WORLD_MODULE.
 */
import { EventEmitter } from 'node:events';
import { posix } from 'node:path';
import type { LabExecResult, LabFault, LabFs, LabNodeApi, LabStat, LabWorld } from '../../src/lab/types.js';

type Entry = { type: 'file'; mode: number; mtime: number; data: Buffer } | { type: 'dir'; mode: number; mtime: number };

function err(code: string, msg: string): Error {
  return Object.assign(new Error(`${code}: ${msg}`), { code });
}

/** An in-memory LabFs. */
export class FakeFs implements LabFs {
  readonly entries = new Map<string, Entry>();

  constructor(private readonly changed: () => void = () => {}) {
    this.entries.set('/', { type: 'dir', mode: 0o755, mtime: 0 });
  }

  private norm(p: string): string {
    return posix.resolve('/', p);
  }
  private parentDir(p: string): void {
    const d = this.entries.get(posix.dirname(p));
    if (!d) throw err('ENOENT', posix.dirname(p));
    if (d.type !== 'dir') throw err('ENOTDIR', posix.dirname(p));
  }
  stat(path: string): LabStat | null {
    const e = this.entries.get(this.norm(path));
    if (!e) return null;
    return {
      type: e.type,
      mode: e.mode,
      size: e.type === 'file' ? e.data.length : 4096,
      mtime: e.mtime,
      uid: 0,
      gid: 0,
    };
  }
  readFile(path: string): Buffer {
    const e = this.entries.get(this.norm(path));
    if (!e) throw err('ENOENT', path);
    if (e.type === 'dir') throw err('EISDIR', path);
    return Buffer.from(e.data);
  }
  writeFile(path: string, data: Buffer | string, mode?: number): void {
    const p = this.norm(path);
    this.parentDir(p);
    const cur = this.entries.get(p);
    if (cur?.type === 'dir') throw err('EISDIR', p);
    this.entries.set(p, {
      type: 'file',
      mode: mode ?? cur?.mode ?? 0o644,
      mtime: 1_700_000_000,
      data: Buffer.from(data),
    });
    this.changed();
  }
  mkdir(path: string, mode = 0o755): void {
    const p = this.norm(path);
    if (this.entries.has(p)) throw err('EEXIST', p);
    this.parentDir(p);
    this.entries.set(p, { type: 'dir', mode, mtime: 1_700_000_000 });
    this.changed();
  }
  readdir(path: string): string[] {
    const p = this.norm(path);
    const e = this.entries.get(p);
    if (!e) throw err('ENOENT', p);
    if (e.type !== 'dir') throw err('ENOTDIR', p);
    return [...this.entries.keys()]
      .filter((k) => k !== p && posix.dirname(k) === p)
      .map((k) => posix.basename(k))
      .sort();
  }
  rename(from: string, to: string): void {
    const a = this.norm(from);
    const b = this.norm(to);
    const e = this.entries.get(a);
    if (!e) throw err('ENOENT', a);
    this.parentDir(b);
    if (this.entries.get(b)?.type === 'dir') throw err('EISDIR', b);
    for (const k of [...this.entries.keys()]) {
      if (k === a || k.startsWith(`${a}/`)) {
        const v = this.entries.get(k)!;
        this.entries.delete(k);
        this.entries.set(b + k.slice(a.length), v);
      }
    }
    this.changed();
  }
  unlink(path: string): void {
    const p = this.norm(path);
    const e = this.entries.get(p);
    if (!e) throw err('ENOENT', p);
    if (e.type === 'dir') throw err('EISDIR', p);
    this.entries.delete(p);
    this.changed();
  }
  rmdir(path: string): void {
    const p = this.norm(path);
    const e = this.entries.get(p);
    if (!e) throw err('ENOENT', p);
    if (e.type !== 'dir') throw err('ENOTDIR', p);
    if (this.readdir(p).length) throw err('ENOTEMPTY', p);
    this.entries.delete(p);
    this.changed();
  }
  chmod(path: string, mode: number): void {
    const e = this.entries.get(this.norm(path));
    if (!e) throw err('ENOENT', path);
    e.mode = mode;
    this.changed();
  }
  realpath(path: string): string {
    const p = this.norm(path);
    if (!this.entries.has(p)) throw err('ENOENT', p);
    return p;
  }
  toJSON(): Record<string, { type: string; mode: number; mtime: number; data?: string }> {
    const out: Record<string, { type: string; mode: number; mtime: number; data?: string }> = {};
    for (const [k, e] of this.entries)
      out[k] =
        e.type === 'file'
          ? { type: 'file', mode: e.mode, mtime: e.mtime, data: e.data.toString('base64') }
          : { type: 'dir', mode: e.mode, mtime: e.mtime };
    return out;
  }
  load(saved: Record<string, { type: string; mode: number; mtime: number; data?: string }>): void {
    this.entries.clear();
    for (const [k, e] of Object.entries(saved)) {
      this.entries.set(
        k,
        e.type === 'file'
          ? { type: 'file', mode: e.mode, mtime: e.mtime, data: Buffer.from(e.data ?? '', 'base64') }
          : { type: 'dir', mode: e.mode, mtime: e.mtime },
      );
    }
  }
}

/** One fake node. */
export class FakeNode implements LabNodeApi {
  readonly fs: FakeFs;
  powered = true;
  crashed = false;
  counter = 0;
  /** Every command line this node ran, in order (tests). */
  readonly ran: string[] = [];

  constructor(
    readonly name: string,
    private readonly changed: () => void,
  ) {
    this.fs = new FakeFs(changed);
  }

  reachable(): boolean {
    return this.powered && !this.crashed;
  }

  async exec(cmdline: string, opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<LabExecResult> {
    this.ran.push(cmdline);
    const words = cmdline.trim().split(/\s+/).filter(Boolean);
    const [cmd, ...args] = words;
    const ok = (stdout = ''): LabExecResult => ({ code: 0, stdout, stderr: '' });
    switch (cmd) {
      case undefined:
      case 'true':
        return ok();
      case 'false':
        return { code: 1, stdout: '', stderr: '' };
      case 'exit':
        return { code: Number(args[0] ?? 0), stdout: '', stderr: '' };
      case 'pwd':
        return ok('/root\n');
      case 'printenv':
        return opts.env?.[args[0] ?? ''] !== undefined
          ? ok(`${opts.env[args[0]]}\n`)
          : { code: 1, stdout: '', stderr: '' };
      case 'hang':
        return new Promise<LabExecResult>(() => {});
      case 'count':
        this.counter++;
        this.changed();
        return ok(`${this.counter}\n`);
      case 'touch':
        for (const f of args) if (!this.fs.stat(f)) this.fs.writeFile(f, '');
        return ok();
      case 'echo': {
        const gt = args.indexOf('>');
        if (args[args.length - 1] === '>&2') return { code: 0, stdout: '', stderr: `${args.slice(0, -1).join(' ')}\n` };
        if (gt >= 0) {
          try {
            this.fs.writeFile(args[gt + 1] ?? '', `${args.slice(0, gt).join(' ')}\n`);
          } catch (e) {
            return { code: 1, stdout: '', stderr: `bash: ${args[gt + 1]}: ${(e as Error).message}\n` };
          }
          return ok();
        }
        return ok(`${args.join(' ')}\n`);
      }
      case 'cat': {
        if (!args.length) return ok(opts.stdin ?? '');
        let out = '';
        let stderr = '';
        for (const f of args) {
          try {
            out += this.fs.readFile(f).toString('utf8');
          } catch {
            stderr += `cat: ${f}: No such file or directory\n`;
          }
        }
        return { code: stderr ? 1 : 0, stdout: out, stderr };
      }
      default:
        return { code: 127, stdout: '', stderr: `bash: ${cmd}: command not found\n` };
    }
  }
}

interface Saved {
  fake: 1;
  nodes: Record<string, { fs: ReturnType<FakeFs['toJSON']>; powered: boolean; crashed: boolean; counter: number }>;
  faults: LabFault[];
}

/** The fake world. */
export class FakeWorld implements LabWorld {
  readonly nodes: Record<string, FakeNode> = {};
  readonly faults: LabFault[] = [];
  private readonly ee = new EventEmitter();

  constructor(names: string[], saved?: Saved) {
    const changed = () => this.ee.emit('change');
    for (const n of names) {
      const node = new FakeNode(n, changed);
      this.nodes[n] = node;
      const s = saved?.nodes[n];
      if (s) {
        node.fs.load(s.fs);
        node.powered = s.powered;
        node.crashed = s.crashed;
        node.counter = s.counter;
      } else {
        for (const d of ['/root', '/etc', '/tmp'])
          node.fs.entries.set(d, { type: 'dir', mode: 0o755, mtime: 1_700_000_000 });
        node.fs.entries.set('/etc/hostname', {
          type: 'file',
          mode: 0o644,
          mtime: 1_700_000_000,
          data: Buffer.from(`${n}\n`),
        });
      }
    }
    if (saved) this.faults.push(...saved.faults);
  }

  fault(f: LabFault): void {
    const node = 'node' in f ? this.nodes[f.node] : undefined;
    if ('node' in f && !node) throw new Error(`no node ${f.node}`);
    this.faults.push(f);
    if (f.kind === 'power') node!.powered = f.on;
    if (f.kind === 'crash') node!.crashed = true;
    if (f.kind === 'power' && f.on) node!.crashed = false;
    if (f.kind === 'drop-ssh' || f.kind === 'crash' || (f.kind === 'power' && !f.on))
      this.ee.emit('drop-sessions', f.node);
    this.ee.emit('change');
  }

  on(event: 'drop-sessions', fn: (node: string) => void): void;
  on(event: 'change', fn: () => void): void;
  on(event: string, fn: (...a: never[]) => void): void {
    this.ee.on(event, fn as (...a: unknown[]) => void);
  }

  toJSON(): Saved {
    const nodes: Saved['nodes'] = {};
    for (const [n, node] of Object.entries(this.nodes))
      nodes[n] = { fs: node.fs.toJSON(), powered: node.powered, crashed: node.crashed, counter: node.counter };
    return { fake: 1, nodes, faults: this.faults };
  }
}

/** `createWorld` for the fake: node names from the answers (or the saved world), default two nodes. */
export function createWorld(
  opts: { answers?: { nodes: Array<{ name: string }> }; saved?: unknown; seed?: number } = {},
): FakeWorld {
  const saved = opts.saved as Saved | undefined;
  if (saved !== undefined && saved.fake !== 1) throw new Error('not a fake world');
  const names = saved
    ? Object.keys(saved.nodes)
    : (opts.answers?.nodes.map((n) => n.name) ?? ['an-node01', 'an-node02']);
  return new FakeWorld(names, saved);
}
