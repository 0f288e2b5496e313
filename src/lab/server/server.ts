/**
 * The lab's real-SSH face: one ssh2 `Server` per simulated node on 127.0.0.1 (exec, a minimal
 * shell, SFTP), and a control endpoint of the same kind for status and fault injection.
 *
 * We listen with our own `net.Server` and hand accepted sockets to ssh2 (`injectSocket`), so a node
 * that is not reachable (powered off, hung, BCN down) can drop a connection before a single byte of
 * SSH is exchanged: to the client it looks like a host that went away.
 */
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { memoryPipe, type PipeSocket } from '../../util/memory-pipe.js';
import { timingSafeEqual } from 'node:crypto';
import type { AuthContext, Connection, ParsedKey, ServerChannel, Session } from 'ssh2';
import ssh2 from 'ssh2';
import { serveSftp, type SftpHooks } from './sftp-server.js';
import type { LabExecResult, LabFs } from '../types.js';

const { Server, utils } = ssh2;

/** The only user the lab nodes know. */
export const LAB_USER = 'root';

/**
 * When a client opens an exec channel and sends neither data nor EOF, run the command with empty
 * stdin after this long. Real sshd starts the command at once and lets it read stdin if it wants;
 * our commands take stdin up front, so we wait for EOF (the fast path: NodeSession, `ssh </dev/null`,
 * ssh2 clients that call `stream.end()`) or this grace period. It must outlast the time a loaded
 * machine takes to deliver data sent right after the channel opened, or that data would be lost.
 */
export const STDIN_GRACE_MS = 1000;

/** Failed authentication attempts allowed per connection (OpenSSH MaxAuthTries). */
export const MAX_AUTH_TRIES = 6;
/** Time a connection has to authenticate before it is cut (OpenSSH LoginGraceTime, shortened). */
export const LOGIN_GRACE_MS = 30_000;
/** Longest command line accepted (Linux MAX_ARG_STRLEN: `bash -c` gets it as one argument). */
export const MAX_COMMAND_BYTES = 128 * 1024;
/** Most stdin one command may be sent (files go over SFTP). */
export const MAX_STDIN_BYTES = 16 * 1024 * 1024;

/** Who may log in. */
export interface LabAuth {
  /** Public keys accepted (OpenSSH lines or parsed keys). */
  publicKeys: Array<string | ParsedKey>;
  /** Root password; undefined = password auth refused. */
  password?: string;
}

/** What an SSH endpoint of the lab does with a session. */
export interface LabSshOptions {
  /** Name for messages (node name or `control`). */
  name: string;
  /** 0 = any free port. */
  port: number;
  /** Host private key (OpenSSH or PEM text). */
  hostKey: string;
  auth: LabAuth;
  /** Whether connections are accepted now; false = the socket is dropped at once. */
  reachable?(): boolean;
  /**
   * Run one command line. `signal` aborts when the client's channel closes (the command stops at
   * its next step, as a process does on SIGHUP).
   */
  exec(
    cmdline: string,
    opts: { stdin: string; env: Record<string, string>; signal?: AbortSignal },
  ): Promise<LabExecResult>;
  /** Called once a command finished and before its result goes to the client (journal, save). */
  afterExec?(cmdline: string, result: LabExecResult): void;
  /** Serve SFTP from this filesystem (absent: the subsystem is refused). */
  sftp?: { fs: LabFs; hooks?: SftpHooks };
  /** Override {@link STDIN_GRACE_MS}. */
  stdinGraceMs?: number;
  /** Override {@link LOGIN_GRACE_MS}, {@link MAX_AUTH_TRIES}, {@link MAX_COMMAND_BYTES}, {@link MAX_STDIN_BYTES}. */
  limits?: { loginGraceMs?: number; maxAuthTries?: number; maxCommandBytes?: number; maxStdinBytes?: number };
  /** Offer a minimal line-based shell for `ssh host` without a command. */
  shell?: { prompt(): string };
  /** Something unexpected (never a client's mistake). */
  onError?(e: unknown): void;
}

function parsePublic(k: string | ParsedKey): ParsedKey {
  if (typeof k !== 'string') return k;
  const p = utils.parseKey(k);
  if (p instanceof Error) throw new Error(`cannot parse public key: ${p.message}`);
  const keys: ParsedKey[] = Array.isArray(p) ? (p as ParsedKey[]) : [p];
  return keys[0];
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One listening SSH endpoint. */
export class LabSshServer {
  private readonly net: NetServer;
  private readonly ssh: InstanceType<typeof Server>;
  private readonly sockets = new Set<PipeSocket>();
  private readonly keys: ParsedKey[];
  private closed = false;
  /** The port actually bound (after `listen`). */
  port = 0;

  constructor(private readonly opts: LabSshOptions) {
    this.keys = opts.auth.publicKeys.map(parsePublic);
    this.ssh = new Server({ hostKeys: [opts.hostKey], ident: 'OpenSSH_5.3' }, (client, info) =>
      this.onClient(client, info.port),
    );
    this.net = createServer((socket) => this.onSocket(socket));
  }

  /** Bind 127.0.0.1:port; rejects with the listen error (e.g. EADDRINUSE). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      this.net.once('error', onError);
      this.net.listen(this.opts.port, '127.0.0.1', () => {
        this.net.off('error', onError);
        this.net.on('error', (e) => this.opts.onError?.(e));
        this.port = (this.net.address() as { port: number }).port;
        resolve(this.port);
      });
    });
  }

  /** Number of open client connections. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Cut every open connection (network restart, crash, power off, injected drop). */
  dropSessions(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  /** Stop listening and cut every connection. */
  close(): Promise<void> {
    this.closed = true;
    this.dropSessions();
    return new Promise((resolve) => {
      if (!this.net.listening) return resolve();
      this.net.close(() => resolve());
    });
  }

  /**
   * A connection from this process without TCP: the client's end of a memory pipe. The server treats
   * it as an accepted TCP connection (refused, timed out, dropped and logged in the same way).
   */
  connectInProcess(): Duplex {
    const [client, server] = memoryPipe();
    // NOTE: after the caller has its listeners on: a refused connection is closed at once.
    queueMicrotask(() => this.onSocket(server));
    return client;
  }

  private onSocket(socket: PipeSocket): void {
    if (this.closed || (this.opts.reachable && !this.opts.reachable())) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.sockets.add(socket);
    // NOTE: the grace time runs from the TCP connection, not from the SSH handshake: a client that
    // sends nothing (or only its version line) never becomes an ssh2 client to time out.
    const grace = setTimeout(() => socket.destroy(), this.opts.limits?.loginGraceMs ?? LOGIN_GRACE_MS);
    grace.unref?.();
    if (socket.remotePort !== undefined) this.graces.set(socket.remotePort, grace);
    socket.once('close', () => {
      clearTimeout(grace);
      if (socket.remotePort !== undefined && this.graces.get(socket.remotePort) === grace)
        this.graces.delete(socket.remotePort);
      this.sockets.delete(socket);
    });
    socket.on('error', () => {});
    // NOTE: ssh2 reads only the stream and remoteAddress/remotePort of what it is handed (server.js).
    this.ssh.injectSocket(socket as Socket);
  }

  /** Login grace timers by the client's TCP port (127.0.0.1 only). */
  private readonly graces = new Map<number, NodeJS.Timeout>();

  private onClient(client: Connection, port: number): void {
    client.on('error', () => {
      // NOTE: clients vanish (killed wizard, dropped session): nothing to report.
    });
    const lim = this.opts.limits ?? {};
    // NOTE: like sshd: a connection that does not log in within the grace time (onSocket), or fails
    // too many times, is cut, so a stuck or guessing client cannot hold a slot for ever.
    let failures = 0;
    client.on('authentication', (ctx) => {
      const reject = ctx.reject.bind(ctx);
      ctx.reject = (...args: Parameters<AuthContext['reject']>) => {
        // NOTE: "none" and a key offered without a signature are questions, not attempts.
        const attempt =
          ctx.method === 'password' ||
          (ctx.method === 'publickey' && !!ctx.signature) ||
          ctx.method === 'keyboard-interactive';
        if (attempt && ++failures >= (lim.maxAuthTries ?? MAX_AUTH_TRIES)) {
          reject(...args);
          client.end();
          return;
        }
        reject(...args);
      };
      this.authenticate(ctx);
    });
    client.on('ready', () => {
      clearTimeout(this.graces.get(port));
      this.graces.delete(port);
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        this.onSession(session);
      });
    });
  }

  private authenticate(ctx: AuthContext): void {
    const methods: Array<'publickey' | 'password'> =
      this.opts.auth.password !== undefined ? ['publickey', 'password'] : ['publickey'];
    if (ctx.username !== LAB_USER) return ctx.reject(methods);
    if (ctx.method === 'password') {
      const pw = this.opts.auth.password;
      return pw !== undefined && sameSecret(ctx.password, pw) ? ctx.accept() : ctx.reject(methods);
    }
    if (ctx.method === 'publickey') {
      const key = this.keys.find((k) => k.getPublicSSH().equals(ctx.key.data));
      if (!key) return ctx.reject(methods);
      // NOTE: without a signature the client only asks whether this key would do; with one, prove it.
      if (!ctx.signature) return ctx.accept();
      const good = ctx.blob !== undefined && key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true;
      return good ? ctx.accept() : ctx.reject(methods);
    }
    return ctx.reject(methods);
  }

  private onSession(session: Session): void {
    const env: Record<string, string> = {};
    let pty = false;
    session.on('env', (accept, _reject, info) => {
      env[info.key] = info.val;
      accept?.();
    });
    session.on('pty', (accept) => {
      pty = true;
      accept?.();
    });
    session.on('window-change', (accept) => accept?.());
    session.on('exec', (accept, _reject, info) => {
      const stream = accept();
      this.runExec(stream, info.command, env);
    });
    session.on('shell', (accept, reject) => {
      if (!this.opts.shell) return reject();
      this.runShell(accept(), env, pty);
    });
    session.on('sftp', (accept, reject) => {
      if (!this.opts.sftp) return reject();
      serveSftp(accept(), this.opts.sftp.fs, this.opts.sftp.hooks);
    });
  }

  private async execOne(
    cmdline: string,
    stdin: string,
    env: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<LabExecResult> {
    let result: LabExecResult;
    if (Buffer.byteLength(cmdline) > (this.opts.limits?.maxCommandBytes ?? MAX_COMMAND_BYTES))
      return {
        code: 126,
        stdout: '',
        stderr: `bash: Argument list too long (the lab takes command lines up to ${this.opts.limits?.maxCommandBytes ?? MAX_COMMAND_BYTES} bytes)\n`,
      };
    try {
      result = await this.opts.exec(cmdline, { stdin, env, signal });
    } catch (e) {
      this.opts.onError?.(e);
      result = {
        code: 255,
        stdout: '',
        stderr: `lab: internal error running command: ${e instanceof Error ? e.message : String(e)}\n`,
      };
    }
    try {
      this.opts.afterExec?.(cmdline, result);
    } catch (e) {
      this.opts.onError?.(e);
    }
    return result;
  }

  private runExec(stream: ServerChannel, cmdline: string, env: Record<string, string>): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let started = false;
    let finished = false;
    const cancel = new AbortController();
    const maxStdin = this.opts.limits?.maxStdinBytes ?? MAX_STDIN_BYTES;
    const start = () => {
      if (started) return;
      started = true;
      clearTimeout(grace);
      void this.execOne(cmdline, Buffer.concat(chunks).toString('utf8'), env, cancel.signal).then((r) => {
        finished = true;
        if (cancel.signal.aborted) return;
        try {
          if (r.stdout) stream.write(r.stdout);
          if (r.stderr) stream.stderr.write(r.stderr);
          stream.exit(r.code & 0xff);
          stream.end();
        } catch {
          /* client gone */
        }
      });
    };
    const grace = setTimeout(() => {
      if (!chunks.length) start();
    }, this.opts.stdinGraceMs ?? STDIN_GRACE_MS);
    stream.on('data', (d: Buffer) => {
      if (started) return;
      size += d.length;
      if (size > maxStdin) {
        // NOTE: refuse rather than buffer without end: the whole lab shares this process's memory.
        started = true;
        clearTimeout(grace);
        chunks.length = 0;
        try {
          stream.stderr.write(`lab: stdin larger than ${maxStdin} bytes refused; copy large files with sftp/scp\n`);
          stream.exit(1);
          stream.end();
        } catch {
          /* client gone */
        }
        return;
      }
      chunks.push(d);
    });
    stream.on('end', start);
    stream.on('close', () => {
      clearTimeout(grace);
      // NOTE: only a command still running is cancelled: an abort builds an AbortError (a DOMException
      // with its stack), which for every finished command cost more than the rest of the close.
      if (!finished) cancel.abort();
    });
    stream.on('error', () => {});
  }

  private runShell(stream: ServerChannel, env: Record<string, string>, pty: boolean): void {
    const nl = pty ? '\r\n' : '\n';
    const out = (s: string) => {
      try {
        stream.write(pty ? s.replace(/\r?\n/g, '\r\n') : s);
      } catch {
        /* client gone */
      }
    };
    let line = '';
    let busy = Promise.resolve();
    let ended = false;
    const cancel = new AbortController();
    const maxLine = this.opts.limits?.maxCommandBytes ?? MAX_COMMAND_BYTES;
    const finish = (code: number) => {
      if (ended) return;
      ended = true;
      try {
        stream.exit(code);
        stream.end();
      } catch {
        /* client gone */
      }
    };
    const prompt = () => {
      if (pty) out(this.opts.shell!.prompt());
    };
    const submit = (cmd: string) => {
      busy = busy.then(async () => {
        if (ended) return;
        const m = /^\s*(?:exit|logout)(?:\s+(\d+))?\s*$/.exec(cmd);
        if (m) return finish(Number(m[1] ?? 0));
        if (cmd.trim()) {
          const r = await this.execOne(cmd, '', env, cancel.signal);
          out(r.stdout);
          // NOTE: one channel, one terminal: stderr goes where stdout goes, as on a tty.
          if (r.stderr) (pty ? out : (s: string) => stream.stderr.write(s))(r.stderr);
        }
        prompt();
      });
    };
    prompt();
    stream.on('data', (d: Buffer) => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          if (pty) out(nl);
          const cmd = line;
          line = '';
          submit(cmd);
        } else if (pty && (ch === '\x7f' || ch === '\b')) {
          if (line.length) {
            line = line.slice(0, -1);
            out('\b \b');
          }
        } else if (pty && ch === '\x03') {
          line = '';
          out(`^C${nl}`);
          prompt();
        } else if (pty && ch === '\x04') {
          if (!line) submit('exit');
        } else if (line.length >= maxLine) {
          // NOTE: a line without end is dropped, not buffered without limit.
          line = '';
          out(`${nl}lab: line longer than ${maxLine} bytes dropped${nl}`);
          prompt();
        } else {
          line += ch;
          if (pty) out(ch);
        }
      }
    });
    stream.on('end', () => {
      if (line.trim()) submit(line);
      line = '';
      void busy.then(() => finish(0));
    });
    stream.on('close', () => {
      ended = true;
      cancel.abort();
    });
    stream.on('error', () => {});
  }
}

/** Start an SSH endpoint and wait until it listens. */
export async function startSshServer(opts: LabSshOptions): Promise<LabSshServer> {
  const s = new LabSshServer(opts);
  await s.listen();
  return s;
}
