/**
 * An in-memory `Transport`: a fake node with a files map and scripted command handlers, for engine
 * tests that do not need SSH. Every command and write is recorded so tests can count executions.
 */
import type { RemoteResult, Transport } from '../../src/remote/types.js';

/** A file on a fake node. */
export interface MemFile {
  data: string;
  mode: number;
}

/** What a handler returns (missing fields: code 0, empty output). */
export interface HandlerResult {
  code?: number;
  stdout?: string;
  stderr?: string;
  /** From an injector: let the action happen, then report this result instead (a failure after the fact). */
  afterwards?: boolean;
}

/** A scripted command. `m` is the match of its pattern. */
export type Handler = (
  m: RegExpMatchArray,
  node: MemoryNode,
  stdin?: string,
) => HandlerResult | void | Promise<HandlerResult | void>;

/**
 * Runs before each command or write: return a result to replace it (or, with `afterwards`, to
 * replace its outcome once it happened), throw to simulate a lost connection, undefined to go on.
 */
export type Injector = (
  what: { kind: 'exec'; cmd: string } | { kind: 'write'; path: string },
  node: MemoryNode,
) => HandlerResult | void | Promise<HandlerResult | void>;

/** A fake node. */
export class MemoryNode {
  readonly files = new Map<string, MemFile>();
  /** Every command run (after injection let it through), in order. */
  readonly commands: string[] = [];
  /** Every stdin given, by command index (to check it never reaches the journal). */
  readonly stdins: (string | undefined)[] = [];
  /** Free-form state handlers keep (partitions made, services started...). */
  readonly vars: Record<string, number | string | boolean> = {};
  private readonly handlers: { re: RegExp; fn: Handler }[] = [];
  /** Fault injection hook. */
  inject?: Injector;
  reconnects = 0;

  constructor(readonly name: string) {}

  /** Script a command: the latest handler whose pattern matches runs (so a test can override a default). */
  on(pattern: RegExp | string, fn: Handler): this {
    const re =
      typeof pattern === 'string' ? new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : pattern;
    this.handlers.unshift({ re, fn });
    return this;
  }

  /** How many commands matched `re`. */
  count(re: RegExp): number {
    return this.commands.filter((c) => re.test(c)).length;
  }

  /** Contents of every file, as a plain object (for equality checks). */
  snapshot(): Record<string, string> {
    return Object.fromEntries(
      [...this.files.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.data]),
    );
  }

  async exec(cmd: string, stdin?: string): Promise<RemoteResult> {
    const injected = await this.inject?.({ kind: 'exec', cmd }, this);
    const fault = (i: HandlerResult): RemoteResult => ({
      code: i.code ?? 1,
      stdout: i.stdout ?? '',
      stderr: i.stderr ?? '',
      ms: 0,
    });
    if (injected && !injected.afterwards) return fault(injected);
    const r = await this.run(cmd, stdin);
    return injected ? fault(injected) : r;
  }

  private async run(cmd: string, stdin?: string): Promise<RemoteResult> {
    this.commands.push(cmd);
    this.stdins.push(stdin);
    for (const h of this.handlers) {
      const m = cmd.match(h.re);
      if (m) {
        const r = (await h.fn(m, this, stdin)) ?? {};
        return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: 0 };
      }
    }
    const b = this.builtin(cmd);
    if (b) return { code: b.code ?? 0, stdout: b.stdout ?? '', stderr: b.stderr ?? '', ms: 0 };
    return { code: 127, stdout: '', stderr: `sh: ${cmd.split(' ')[0]}: command not found`, ms: 0 };
  }

  private builtin(cmd: string): HandlerResult | undefined {
    if (cmd === 'true') return {};
    if (cmd === 'false') return { code: 1 };
    let m = /^mkdir -p (\S+)$/.exec(cmd);
    if (m) return {};
    m = /^cat (\S+)$/.exec(cmd);
    if (m) {
      const f = this.files.get(m[1]);
      return f ? { stdout: f.data } : { code: 1, stderr: `cat: ${m[1]}: No such file or directory` };
    }
    m = /^echo (.*)$/.exec(cmd);
    if (m) return { stdout: `${m[1]}\n` };
    return undefined;
  }
}

/** The `Transport` over a `MemoryNode`. */
export class MemoryTransport implements Transport {
  readonly name: string;
  closed = false;
  constructor(readonly node: MemoryNode) {
    this.name = node.name;
  }
  exec(cmd: string, opts: { timeoutMs?: number; stdin?: string } = {}): Promise<RemoteResult> {
    return this.node.exec(cmd, opts.stdin);
  }
  async readFile(path: string): Promise<Buffer | null> {
    const f = this.node.files.get(path);
    return f ? Buffer.from(f.data) : null;
  }
  async writeFile(path: string, data: string | Buffer, opts: { mode?: number; backupTo?: string } = {}): Promise<void> {
    const injected = await this.node.inject?.({ kind: 'write', path }, this.node);
    if (injected && !injected.afterwards) throw new Error(injected.stderr ?? `write ${path} failed`);
    const cur = this.node.files.get(path);
    // NOTE: like the real transport: the first original is kept, a backup is never overwritten.
    if (cur && opts.backupTo && !this.node.files.has(opts.backupTo)) this.node.files.set(opts.backupTo, { ...cur });
    this.node.files.set(path, { data: data.toString(), mode: opts.mode ?? 0o644 });
    if (injected) throw new Error(injected.stderr ?? `write ${path} failed`);
  }
  async reconnect(): Promise<void> {
    this.node.reconnects++;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Two fake nodes and their transports. */
export function memoryPair(names: [string, string]): {
  nodes: Record<string, MemoryNode>;
  transports: Record<string, MemoryTransport>;
} {
  const nodes = Object.fromEntries(names.map((n) => [n, new MemoryNode(n)]));
  const transports = Object.fromEntries(names.map((n) => [n, new MemoryTransport(nodes[n])]));
  return { nodes, transports };
}
