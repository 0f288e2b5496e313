/**
 * The lab shell's interpreter: runs a parsed command line on a node with bash's semantics for exit
 * codes, `&&`/`||`, pipes (stage by stage), redirections, variables, functions, subshells and
 * background jobs (run after the foreground command line completes).
 */
import type { List, AndOr, Pipeline, Command, SimpleCmd, Redir } from './ast.js';
import { parse, parseWordText, ShellSyntaxError } from './parser.js';
import { expandWord, ExpandError, type ExpandEnv } from './expand.js';
import { globPaths } from './glob.js';
import { ExitSignal, HaltSignal, LineAbort, LoopSignal, ReturnSignal } from './types.js';
import { ArithError } from './arith.js';
import { resolvePath, basename } from '../fs/path.js';
import { errText } from '../fs/memfs.js';
import type { NodeFs } from '../fs/node-fs.js';
import { MAX_DEPTH, RunBudget } from './budget.js';

/**
 * What the shell needs from the machine it runs on. The lab's node implements it; the shell does not
 * import the node (the node builds its shells).
 */
export interface ShellHost {
  readonly name: string;
  /** Powered and not hung: a halted host stops the shell at its next command. */
  readonly running: boolean;
  readonly fs: NodeFs;
  /** pid of the shell running commands (for `$$`). */
  readonly shellPid: number;
  nextPid(): number;
  /** Queue a background job (`cmd &`). */
  spawn(job: () => Promise<void>): void;
  /** The implementation behind an executable file, or undefined when it cannot be executed. */
  programFor(path: string): ShellProgram | undefined;
}

/** One command invocation as the shell makes it. */
export interface ShellCtx {
  /** argv[0] is the command name as typed. */
  argv: string[];
  /** Everything on standard input (pipes are run stage by stage). */
  stdin: string;
  /** The shared stdin buffer; `read` consumes a line from it. */
  input?: { data: string };
  out(s: string): void;
  err(s: string): void;
  /** The shell running the command (cwd, variables, running nested command lines). */
  sh: Shell;
  /** The machine the command runs on. */
  node: ShellHost;
}

/** A program or builtin as the shell runs it; returns the exit code. */
export type ShellProgram = (ctx: ShellCtx) => number | Promise<number>;

/** Standard streams of a running command. */
export interface Io {
  stdin: string;
  /** Shared read position for `read` (consumes lines); created where stdin is set. */
  input?: { data: string };
  out(s: string): void;
  err(s: string): void;
}

interface Sink {
  write(s: string): void;
  flush(): void;
}

/** Marker at the start of the stub files that stand for binaries in the simulated filesystem. */
export const BIN_MAGIC = '\x7fELF lab:';

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin:/root/bin';

/** A shell instance: variables, cwd, functions, positional parameters. */
export class Shell {
  vars = new Map<string, string>();
  exported = new Set<string>();
  funcs = new Map<string, Command>();
  positional: string[] = [];
  cwd: string;
  lastCode = 0;
  /** `set -e`: stop at the first failing command (outside conditions and && / || lists). */
  errexit = false;
  /** `set -o pipefail`: a pipeline fails when any stage fails. */
  pipefail = false;
  /** Depth of condition contexts (if/while tests, `!`), where -e does not apply. */
  private condDepth = 0;
  /** $0 and the prefix of error messages. */
  name: string;
  private lastBg = 0;
  /** What this command line may still cost (shared with every shell it forks). */
  budget: RunBudget;
  /** Enclosing for/while/until loops (bash's `loop_level`); a subshell starts at 0. */
  loopDepth = 0;
  /** File mode creation mask (`umask`), inherited by forks and child shells. */
  umask = 0o022;

  /** The builtins this shell has (given by whoever starts it, so the shell does not import them). */
  readonly builtins: Readonly<Record<string, ShellProgram>>;

  constructor(
    public readonly node: ShellHost,
    opts: {
      env?: Record<string, string>;
      cwd?: string;
      name?: string;
      budget?: RunBudget;
      builtins?: Readonly<Record<string, ShellProgram>>;
    } = {},
  ) {
    this.builtins = opts.builtins ?? {};
    this.cwd = opts.cwd ?? '/root';
    this.name = opts.name ?? 'bash';
    this.budget = opts.budget ?? new RunBudget();
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      this.vars.set(k, v);
      this.exported.add(k);
    }
  }

  /** A copy for a subshell, `$(...)`, a pipeline stage or a background job. */
  fork(): Shell {
    const s = new Shell(this.node, { cwd: this.cwd, name: this.name, budget: this.budget, builtins: this.builtins });
    s.vars = new Map(this.vars);
    s.exported = new Set(this.exported);
    s.funcs = new Map(this.funcs);
    s.positional = [...this.positional];
    s.lastCode = this.lastCode;
    s.errexit = this.errexit;
    s.pipefail = this.pipefail;
    s.umask = this.umask;
    return s;
  }

  /** A fresh child process shell (`sh -c`): only exported variables survive. */
  child(name = 'sh'): Shell {
    const env: Record<string, string> = {};
    for (const k of this.exported) if (this.vars.has(k)) env[k] = this.vars.get(k)!;
    const s = new Shell(this.node, { env, cwd: this.cwd, name, budget: this.budget, builtins: this.builtins });
    s.umask = this.umask;
    return s;
  }

  /** Exported environment. */
  environ(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const k of [...this.exported].sort()) if (this.vars.has(k)) env[k] = this.vars.get(k)!;
    return env;
  }

  /** Resolve a path against the cwd. */
  resolve(p: string): string {
    return resolvePath(this.cwd, p);
  }

  /** Parse and run a script; returns its exit code. `exit` ends it. */
  async runScript(src: string, io: Io): Promise<number> {
    let list: List;
    try {
      list = parse(src);
    } catch (e) {
      if (e instanceof ShellSyntaxError) {
        const where = this.name === 'bash' || this.name === 'sh' ? `${this.name}: -c: line 0` : this.name;
        io.err(`${where}: ${e.message}\n`);
        if (this.name === 'bash' || this.name === 'sh') io.err(`${where}: \`${src.replace(/\n$/, '')}'\n`);
        return (this.lastCode = 2);
      }
      throw e;
    }
    const runIo = io.input ? io : { ...io, input: { data: io.stdin } };
    // NOTE: run line by line: a LineAbort discards the rest of its line only (bash 4.1 parses and
    // runs `bash -c` text one line at a time, and jump_to_top_level(DISCARD) drops the current one).
    let line: List['items'] = [];
    const lines: List['items'][] = [];
    for (const item of list.items) {
      line.push(item);
      if (item.nl) {
        lines.push(line);
        line = [];
      }
    }
    if (line.length) lines.push(line);
    try {
      for (const items of lines) {
        try {
          await this.execList({ items }, runIo);
        } catch (e) {
          if (!(e instanceof LineAbort)) throw e;
          this.lastCode = e.code;
        }
      }
      return this.lastCode;
    } catch (e) {
      if (e instanceof ExitSignal) return (this.lastCode = e.code);
      if (e instanceof ReturnSignal) return (this.lastCode = e.code);
      throw e;
    }
  }

  /** How a subshell (a fork) ends on a signal meant for the top level of its own process. */
  private static subshellEnd(e: unknown): number {
    if (e instanceof ExitSignal) return e.code;
    if (e instanceof LineAbort) return e.code;
    throw e;
  }

  private checkAlive(): void {
    if (!this.node.running) throw new HaltSignal(this.node.name + ' is down');
  }

  async execList(list: List, io: Io): Promise<number> {
    for (const item of list.items) {
      this.checkAlive();
      await this.budget.tick();
      if (item.bg) {
        const bgShell = this.fork();
        // NOTE: a background job outlives its command line and its channel: a budget of its own.
        bgShell.budget = new RunBudget();
        const cmd = item.cmd;
        this.lastBg = this.node.nextPid();
        this.vars.set('!', String(this.lastBg));
        this.node.spawn(async () => {
          await bgShell.execAndOr(cmd, { stdin: '', out: () => {}, err: () => {} }).catch(Shell.subshellEnd);
        });
        this.lastCode = 0;
      } else {
        const code = await this.execAndOr(item.cmd, io);
        if (code !== 0 && this.errexit && !this.condDepth && this.lastFailedPlainly) throw new ExitSignal(code);
      }
    }
    return this.lastCode;
  }

  /** Whether the last and-or list failed on its final command (not a tested one, not negated). */
  private lastFailedPlainly = false;

  async execAndOr(a: AndOr, io: Io): Promise<number> {
    const tested = a.rest.length > 0;
    if (tested) this.condDepth++;
    let code: number;
    let last = a.first;
    try {
      code = await this.execPipeline(a.first, io);
    } finally {
      if (tested) this.condDepth--;
    }
    for (const [i, r] of a.rest.entries()) {
      if ((r.op === '&&' && code === 0) || (r.op === '||' && code !== 0)) {
        const inner = i < a.rest.length - 1;
        if (inner) this.condDepth++;
        try {
          code = await this.execPipeline(r.p, io);
        } finally {
          if (inner) this.condDepth--;
        }
        last = r.p;
      }
    }
    this.lastFailedPlainly = !last.neg && last === (a.rest.length ? a.rest[a.rest.length - 1].p : a.first);
    return code;
  }

  async execPipeline(p: Pipeline, io: Io): Promise<number> {
    let code: number;
    if (p.cmds.length === 1) code = await this.execCommand(p.cmds[0], io);
    else {
      let input = io.stdin;
      let failed = 0;
      code = 0;
      for (let i = 0; i < p.cmds.length; i++) {
        const last = i === p.cmds.length - 1;
        let buf = '';
        const stage = this.fork();
        const stageIo: Io =
          i === 0
            ? { ...io, stdin: io.input?.data ?? input }
            : { stdin: input, input: { data: input }, out: io.out, err: io.err };
        stage.loopDepth = 0;
        code = await stage
          .execCommand(p.cmds[i], { ...stageIo, out: last ? io.out : (s) => (buf += s) })
          .catch(Shell.subshellEnd);
        if (this.pipefail && code !== 0) failed = code;
        input = buf;
      }
      if (this.pipefail && code === 0 && failed) code = failed;
    }
    if (p.neg) code = code === 0 ? 1 : 0;
    this.lastCode = code;
    return code;
  }

  /** Expansion hooks bound to this shell. */
  expandEnv(): ExpandEnv {
    return {
      get: (n) => {
        if (n === '?') return String(this.lastCode);
        if (n === '#') return String(this.positional.length);
        if (n === '$') return String(this.node.shellPid);
        if (n === '0') return this.name;
        if (/^\d+$/.test(n)) return this.positional[Number(n) - 1];
        if (n === '-') return 'hB';
        return this.vars.get(n);
      },
      set: (n, v) => void this.vars.set(n, v),
      positional: () => this.positional,
      commandSubst: async (src) => {
        this.substCount++;
        let out = '';
        const sub = this.fork();
        sub.loopDepth = 0;
        await sub.runScript(src, { stdin: '', out: (s) => (out += s), err: this.curErr });
        this.lastCode = sub.lastCode;
        return out;
      },
      glob: (pat) =>
        globPaths(pat, this.cwd, {
          isDir: (p) => this.node.fs.stat(p)?.type === 'dir',
          readdir: (p) => this.node.fs.readdir(p),
          exists: (p) => this.node.fs.lstat(p) !== null,
        }),
      home: (u) => (u === '' ? (this.vars.get('HOME') ?? '/root') : u === 'root' ? '/root' : undefined),
    };
  }

  private curErr: (s: string) => void = () => {};
  private substCount = 0;

  /** Expand words into argv. */
  async expandArgs(words: SimpleCmd['words'], io: Io): Promise<string[]> {
    this.curErr = io.err;
    const env = this.expandEnv();
    const out: string[] = [];
    for (const w of words) out.push(...(await expandWord(w, env)));
    return out;
  }

  private async cond(list: List, io: Io): Promise<number> {
    this.condDepth++;
    try {
      return await this.execList(list, io);
    } finally {
      this.condDepth--;
    }
  }

  async execCommand(c: Command, io: Io): Promise<number> {
    this.checkAlive();
    await this.budget.tick();
    let r: { io: Io; done(): void } | null;
    try {
      r = await this.openRedirs(c.redirs, io);
    } catch (e) {
      if (e instanceof ExpandError) {
        io.err(`${this.name}: ${e.message}\n`);
        return (this.lastCode = 1);
      }
      if (e instanceof ArithError) {
        io.err(`${this.name}: ${e.message}\n`);
        throw new LineAbort(1);
      }
      throw e;
    }
    if (!r) return (this.lastCode = 1);
    try {
      const code = await this.execBody(c, r.io);
      this.lastCode = code;
      return code;
    } catch (e) {
      if (e instanceof ArithError) {
        r.io.err(`${this.name}: ${e.message}\n`);
        throw new LineAbort(1);
      }
      throw e;
    } finally {
      r.done();
    }
  }

  /** Run a loop body: true when the loop must stop (a `break` for this loop). */
  private async loopBody(body: List, io: Io): Promise<{ stop: boolean; code: number }> {
    try {
      return { stop: false, code: await this.execList(body, io) };
    } catch (e) {
      if (!(e instanceof LoopSignal)) throw e;
      // NOTE: break.def: `break N` leaves N loops; `continue N` resumes the Nth enclosing one.
      if (e.n > 1) throw new LoopSignal(e.kind, e.n - 1);
      return { stop: e.kind === 'break', code: 0 };
    }
  }

  private async execBody(c: Command, io: Io): Promise<number> {
    switch (c.k) {
      case 'simple':
        return this.execSimple(c, io);
      case 'subshell': {
        const sub = this.fork();
        sub.loopDepth = 0;
        try {
          return await sub.execList(c.body, io);
        } catch (e) {
          return Shell.subshellEnd(e);
        }
      }
      case 'group':
        return this.execList(c.body, io);
      case 'if': {
        for (const cl of c.clauses) {
          if ((await this.cond(cl.cond, io)) === 0) return this.execList(cl.body, io);
        }
        return c.otherwise ? this.execList(c.otherwise, io) : 0;
      }
      case 'while': {
        let code = 0;
        this.loopDepth++;
        try {
          for (let n = 0; n < 100000; n++) {
            const ok = (await this.cond(c.cond, io)) === 0;
            if (ok === c.until) break;
            const r = await this.loopBody(c.body, io);
            code = r.code;
            if (r.stop) break;
          }
        } finally {
          this.loopDepth--;
        }
        return code;
      }
      case 'for': {
        const items = c.items ? await this.expandArgs(c.items, io) : this.positional;
        let code = 0;
        this.loopDepth++;
        try {
          for (const it of items) {
            this.vars.set(c.name, it);
            const r = await this.loopBody(c.body, io);
            code = r.code;
            if (r.stop) break;
          }
        } finally {
          this.loopDepth--;
        }
        return code;
      }
      case 'func':
        this.funcs.set(c.name, c.body);
        return 0;
    }
  }

  private async execSimple(c: SimpleCmd, io: Io): Promise<number> {
    let argv: string[];
    const assigns: [string, string][] = [];
    const before = this.substCount;
    try {
      this.curErr = io.err;
      const env = this.expandEnv();
      for (const a of c.assigns) {
        const v = (await expandWord(a.value, env, { noSplit: true }))[0] ?? '';
        assigns.push([a.name, a.append ? (this.vars.get(a.name) ?? '') + v : v]);
      }
      argv = await this.expandArgs(c.words, io);
    } catch (e) {
      if (e instanceof ExpandError) {
        io.err(`${this.name}: ${e.message}\n`);
        return 1;
      }
      throw e;
    }
    if (!argv.length) {
      for (const [k, v] of assigns) this.vars.set(k, v);
      return this.substCount !== before ? this.lastCode : 0;
    }
    // NOTE: `VAR=x cmd` sets VAR for that command only.
    const saved = assigns.map(([k]) => [k, this.vars.get(k), this.exported.has(k)] as const);
    for (const [k, v] of assigns) {
      this.vars.set(k, v);
      this.exported.add(k);
    }
    try {
      return await this.invoke(argv, io);
    } finally {
      for (const [k, v, ex] of saved) {
        if (v === undefined) this.vars.delete(k);
        else this.vars.set(k, v);
        if (!ex) this.exported.delete(k);
      }
    }
  }

  /** Run argv: function, builtin, or a program found on PATH / by path. */
  async invoke(argv: string[], io: Io): Promise<number> {
    const name = argv[0];
    const fn = this.funcs.get(name);
    if (fn) {
      // NOTE: bash with FUNCNEST set refuses a deeper call the same way; unset, it would crash.
      if (this.budget.depth >= MAX_DEPTH) {
        io.err(`${this.name}: ${name}: maximum function nesting level exceeded (${MAX_DEPTH})\n`);
        return 1;
      }
      const savedPos = this.positional;
      this.positional = argv.slice(1);
      this.budget.depth++;
      try {
        return await this.execCommand(fn, io);
      } catch (e) {
        if (e instanceof ReturnSignal) return e.code;
        throw e;
      } finally {
        this.budget.depth--;
        this.positional = savedPos;
      }
    }
    const builtin = this.builtins[name];
    if (builtin) return this.call(builtin, argv, io);
    const found = this.findProgram(name);
    if ('error' in found) {
      io.err(`${this.name}: ${found.error}\n`);
      return found.code;
    }
    return this.call(found.fn, argv, io);
  }

  private async call(fn: ShellProgram, argv: string[], io: Io): Promise<number> {
    const input = io.input ?? { data: io.stdin };
    const ctx: ShellCtx = { argv, stdin: input.data, input, out: io.out, err: io.err, sh: this, node: this.node };
    try {
      return await fn(ctx);
    } catch (e) {
      if (
        e instanceof ExitSignal ||
        e instanceof HaltSignal ||
        e instanceof ReturnSignal ||
        e instanceof LoopSignal ||
        e instanceof LineAbort
      )
        throw e;
      io.err(`${basename(argv[0])}: ${errText(e)}\n`);
      return 1;
    }
  }

  /** Locate a program: the implementation to run, or bash's error and exit code. */
  findProgram(name: string): { fn: ShellProgram; path: string } | { error: string; code: number } {
    const fs = this.node.fs;
    let path: string | undefined;
    if (name.includes('/')) {
      path = this.resolve(name);
      const st = fs.stat(path);
      if (!st) return { error: `${name}: No such file or directory`, code: 127 };
      if (st.type === 'dir') return { error: `${name}: is a directory`, code: 126 };
      if (!(st.mode & 0o111)) return { error: `${name}: Permission denied`, code: 126 };
    } else {
      for (const dir of (this.vars.get('PATH') ?? DEFAULT_PATH).split(':')) {
        const p = `${dir || '.'}/${name}`;
        const st = fs.stat(resolvePath(this.cwd, p));
        if (st && st.type === 'file' && st.mode & 0o111) {
          path = resolvePath(this.cwd, p);
          break;
        }
      }
      if (!path) return { error: `${name}: command not found`, code: 127 };
    }
    const fn = this.node.programFor(path);
    if (!fn) return { error: `${name}: cannot execute binary file`, code: 126 };
    return { fn, path };
  }

  private async openRedirs(redirs: Redir[], io: Io): Promise<{ io: Io; done(): void } | null> {
    if (!redirs.length) return { io, done: () => {} };
    const fs = this.node.fs;
    const fds = new Map<number, Sink>();
    const sinks: Sink[] = [];
    const base = (fn: (s: string) => void): Sink => ({ write: fn, flush: () => {} });
    fds.set(1, base(io.out));
    fds.set(2, base(io.err));
    let stdin = io.stdin;
    const env = this.expandEnv();
    this.curErr = io.err;
    const fileSink = (path: string, append: boolean): Sink | null => {
      const abs = this.resolve(path);
      try {
        const st = fs.stat(abs);
        if (st?.type === 'dir') throw Object.assign(new Error('Is a directory'), {});
        // NOTE: bash opens a new file with mode 0666 less the umask (redir.c, open(2)).
        if (!append || !st) fs.writeFile(abs, '', st ? undefined : 0o666 & ~this.umask);
      } catch (e) {
        io.err(`${this.name}: ${path}: ${errText(e)}\n`);
        return null;
      }
      let buf = '';
      const s: Sink = {
        write: (d) => void (buf += d),
        flush: () => {
          if (buf) fs.appendFile(abs, buf);
          buf = '';
        },
      };
      sinks.push(s);
      return s;
    };
    for (const r of redirs) {
      if (r.op === '<<') {
        const h = r.heredoc!;
        stdin = h.expand ? await this.expandHeredoc(h.body) : h.body;
        continue;
      }
      const target = (await expandWord(r.target, env, { noSplit: true }))[0] ?? '';
      switch (r.op) {
        case '<<<':
          stdin = target + '\n';
          break;
        case '<':
        case '<>': {
          try {
            stdin = fs.readFile(this.resolve(target)).toString('utf8');
          } catch (e) {
            io.err(`${this.name}: ${target}: ${errText(e)}\n`);
            return null;
          }
          break;
        }
        case '>':
        case '>>': {
          const s = fileSink(target, r.op === '>>');
          if (!s) return null;
          fds.set(r.fd, s);
          break;
        }
        case '&>':
        case '&>>': {
          const s = fileSink(target, r.op === '&>>');
          if (!s) return null;
          fds.set(1, s);
          fds.set(2, s);
          break;
        }
        case '>&':
        case '<&': {
          if (target === '-') {
            fds.set(
              r.fd,
              base(() => {}),
            );
          } else if (/^\d+$/.test(target)) {
            const src = fds.get(Number(target));
            if (!src) {
              io.err(`${this.name}: ${target}: Bad file descriptor\n`);
              return null;
            }
            if (r.op === '>&') fds.set(r.fd, src);
          } else if (r.op === '>&') {
            const s = fileSink(target, false);
            if (!s) return null;
            fds.set(1, s);
            fds.set(2, s);
          }
          break;
        }
      }
    }
    const o = fds.get(1)!;
    const e = fds.get(2)!;
    return {
      io: {
        stdin,
        input: stdin === io.stdin ? io.input : { data: stdin },
        out: (s) => o.write(s),
        err: (s) => e.write(s),
      },
      done: () => {
        for (const s of sinks) s.flush();
      },
    };
  }

  private async expandHeredoc(body: string): Promise<string> {
    const w = parseWordText(body, true);
    return (await expandWord(w, this.expandEnv(), { noSplit: true }))[0] ?? '';
  }
}
