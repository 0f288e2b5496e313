/**
 * A small in-memory NodeHandle for unit tests of a step's run/verify: files in a map, commands
 * answered by handlers the test registers (canned outputs copied from the tutorial). Unknown
 * commands fail with exit 127, so a test never passes on a command it did not expect.
 */
import type {
  ExecOptions,
  ExecResult,
  FileSpec,
  NodeHandle,
  Prompter,
  Task,
  TaskContext,
} from '../../src/engine/types.js';
import type { Plan, PlanNode } from '../../src/plan/derive.js';
import { CommandFailed } from '../../src/errors.js';
import { renderFile } from '../../src/engine/render.js';

type Reply = string | Partial<ExecResult> | ((cmd: string, m: RegExpExecArray) => string | Partial<ExecResult>);

/** A fake node: `files`, `modes`, the `commands` it ran, and handlers added with `on()`. */
export class FakeNode implements NodeHandle {
  readonly files = new Map<string, string>();
  readonly modes = new Map<string, number>();
  readonly commands: string[] = [];
  reconnects = 0;
  private handlers: { re: RegExp; reply: Reply }[] = [];

  constructor(
    public readonly plan: PlanNode,
    files: Record<string, string> = {},
  ) {
    for (const [k, v] of Object.entries(files)) this.files.set(k, v);
  }

  /** Answer commands matching `re` (a string matches the whole command). Later handlers win. */
  on(re: RegExp | string, reply: Reply): this {
    const rx = typeof re === 'string' ? new RegExp('^' + re.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$') : re;
    this.handlers.unshift({ re: rx, reply });
    return this;
  }

  async exec(cmd: string, _opts?: ExecOptions): Promise<ExecResult> {
    this.commands.push(cmd);
    for (const h of this.handlers) {
      const m = h.re.exec(cmd);
      if (!m) continue;
      const r = typeof h.reply === 'function' ? h.reply(cmd, m) : h.reply;
      const res = typeof r === 'string' ? { stdout: r } : r;
      return { code: res.code ?? 0, stdout: res.stdout ?? '', stderr: res.stderr ?? '', ms: 1 };
    }
    return { code: 127, stdout: '', stderr: `fake: no handler for \`${cmd}\``, ms: 1 };
  }

  async sh(cmd: string, opts?: ExecOptions): Promise<string> {
    const r = await this.exec(cmd, opts);
    if (r.code !== 0) throw new CommandFailed(this.plan.name, cmd, r.code, r.stderr);
    return r.stdout;
  }

  async readFile(path: string): Promise<string | null> {
    return this.files.get(path) ?? null;
  }

  async writeFile(
    path: string,
    content: string,
    opts: { mode?: number; backup?: FileSpec['backup'] } = {},
  ): Promise<void> {
    const old = this.files.get(path);
    if (old !== undefined && opts.backup && opts.backup !== 'none') {
      const to = opts.backup === 'orig' ? `${path}.orig` : `/root/backups/${path.split('/').pop()}`;
      // NOTE: like the transport: an existing backup is never overwritten (the first original is kept).
      if (!this.files.has(to)) this.files.set(to, old);
    }
    this.files.set(path, content);
    this.modes.set(path, opts.mode ?? 0o644);
  }

  async waitForReconnect(): Promise<void> {
    this.reconnects++;
  }
}

/** A prompter answering from a map (message substring -> answer), else the default (like --yes). */
export function fakePrompter(answers: Record<string, string | boolean> = {}): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const find = (msg: string) => Object.entries(answers).find(([k]) => msg.includes(k))?.[1];
  return {
    asked,
    async confirm(message, def) {
      asked.push(message);
      const a = find(message);
      return typeof a === 'boolean' ? a : (def ?? false);
    },
    async input(message, opts) {
      asked.push(message);
      const a = find(message);
      if (typeof a === 'string') return a;
      if (opts?.def !== undefined) return opts.def;
      throw new Error(`fake prompter: no answer for "${message}"`);
    },
    async select(message, choices, def) {
      asked.push(message);
      const a = find(message);
      if (typeof a === 'string') return choices.find((c) => c.startsWith(a)) ?? a;
      return def ?? choices[0];
    },
  };
}

/** A TaskContext over two fake nodes, with a captured-value store and a log. */
export function fakeContext(
  plan: Plan,
  node: FakeNode,
  peer: FakeNode,
  opts: { answers?: Record<string, string | boolean>; captured?: Map<string, unknown> } = {},
): TaskContext & { logs: string[]; store: Map<string, unknown>; prompter: ReturnType<typeof fakePrompter> } {
  const store = opts.captured ?? new Map<string, unknown>();
  const logs: string[] = [];
  const prompter = fakePrompter(opts.answers);
  return {
    plan,
    node,
    peer,
    prompt: prompter,
    prompter,
    log: (m) => logs.push(m),
    logs,
    store,
    capture: (k, v) => void store.set(k, v),
    captured: <T>(k: string) => store.get(k) as T | undefined,
  };
}

/** Run a task on one node the way the engine does: files (edits applied to the node's copy), then run or commands. */
export async function runTask(task: Task, ctx: TaskContext): Promise<void> {
  const n = ctx.node.plan;
  for (const spec of task.files?.(ctx.plan, n) ?? []) {
    const current = spec.edit ? await ctx.node.readFile(spec.path) : null;
    const content = spec.edit ? spec.edit(current ?? renderFile(spec, ctx.plan, n)) : renderFile(spec, ctx.plan, n);
    await ctx.node.writeFile(spec.path, content, { mode: spec.mode, backup: spec.backup });
  }
  if (task.run) await task.run(ctx);
  else for (const c of task.commands?.(ctx.plan, n) ?? []) await ctx.node.sh(c);
}
