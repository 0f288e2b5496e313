/**
 * `NodeSession`: the `Transport` over one persistent ssh2 connection per node (DESIGN.md
 * "Transport"). The TCP socket is ours (Nagle off: ~2 ms per command instead of ~45 ms);
 * keepalives notice a dead peer; a dropped connection is re-opened with capped backoff; host keys
 * go through `verifyHostKey`; files are written atomically over SFTP.
 */
import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { Client, type AnyAuthMethod, type AuthenticationType, type ClientChannel, type SFTPWrapper } from 'ssh2';
import { AnvilError } from '../errors.js';
import { backoffDelays, type BackoffOptions } from './backoff.js';
import { REAL_CLOCK, type Clock } from '../util/clock.js';
import { AuthFailed, CommandTimeout, ConnectionFailed, ConnectionLost } from './errors.js';
import { hostPattern, preferredHostKeyAlgorithms, verifyHostKey, type HostKeyPolicy } from './host-keys.js';
import { sftpReadFile, sftpWriteFile } from './sftp-files.js';
import { perf } from '../util/perf.js';
import { loadIdentity, type AskPassphrase } from './identities.js';
import type { RemoteResult, Transport } from './types.js';

/** How to reach and log in to one node. */
export interface NodeSessionOptions {
  /** Node name, used in every message. */
  name: string;
  /** Address to connect to. */
  host: string;
  /** SSH port. Default 22. */
  port?: number;
  /** Login user. Default `root`. */
  user?: string;
  /** Private key file (an encrypted one asks `askPassphrase`). Tried first. */
  privateKeyPath?: string;
  /** More key files, tried after the agent, in order (`~/.ssh/config` IdentityFile, default identities). */
  identityFiles?: string[];
  /** Asked for the passphrase of an encrypted key file, once per file and process. */
  askPassphrase?: AskPassphrase;
  /** Reach the node through this session (ProxyJump: a bastion), not directly. */
  jump?: NodeSession;
  /**
   * Open the byte stream to the node another way than TCP to host:port (a lab served by this very
   * process). The SSH handshake, login and everything after are the same.
   */
  stream?: () => Duplex;
  /** Password tries per login, like OpenSSH (NumberOfPasswordPrompts). Default 3. */
  passwordTries?: number;
  /** ssh-agent socket. Default `SSH_AUTH_SOCK`; `false` disables the agent. Tried after the key. */
  agent?: string | false;
  /**
   * Asked for the login password when the server offers password auth and the key/agent did not
   * log in. Called again at each such login (reconnects too): the session never keeps the password,
   * so the caller decides whether it caches it (in memory only). Never logged.
   */
  askPassword?: (node: string, attempt: number) => Promise<string>;
  /** Host key trust: pinned fingerprint, known_hosts file, first-contact question. */
  hostKeys: HostKeyPolicy;
  /** TCP connect + SSH handshake + login limit for one attempt. Default 20 000 ms. */
  readyTimeoutMs?: number;
  /** Keepalive probe interval. Default 5 000 ms. */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection is declared dead. Default 3. */
  keepaliveCountMax?: number;
  /** Timeout of a command that gives none. Default 30 min; 0 = none. */
  defaultTimeoutMs?: number;
  /** How long an `exec` waits for a dropped connection to come back before it is sent. Default 120 000 ms. */
  reconnectTimeoutMs?: number;
  /** Waits between reconnect attempts. Default 250 ms doubling to 5 s. */
  backoff?: BackoffOptions;
  /**
   * The clock the waits between reconnect attempts (and their deadline) follow. Default the wall
   * clock; on the lab, the lab's: a rebooting lab node is back when lab time says so, and the backoff
   * advances lab time instead of sleeping.
   */
  clock?: Clock;
  /** Progress notes (reconnects, silences, long commands), for the run log. */
  log?: (message: string) => void;
  /**
   * Why the node cannot come back, if it cannot (the lab process serving it has stopped): asked after
   * each failed connection attempt; a reason stops the retries at once with that reason and `hint`.
   */
  gone?: () => { why: string; hint: string } | undefined;
  /**
   * How often a running command is checked on: a node silent this long is reported ("no answer for
   * N s"), and a long command is reported every 6 checks. Default 5 000 ms; 0 = never.
   */
  heartbeatMs?: number;
}

/** One way to log in, in the order they are tried. */
type AuthStep = { kind: 'key'; file: string } | { kind: 'agent' } | { kind: 'password'; attempt: number };

/**
 * Errors after which trying again cannot help: host key refusals, failed logins, a cancelled
 * password prompt. A connection attempt raises only plain `Error`s for network trouble.
 */
function isPermanent(e: unknown): boolean {
  return e instanceof AnvilError;
}

/**
 * Ask the server to SIGKILL the command's process group (OpenSSH >= 7.9). `ClientChannel.signal`
 * is a no-op once stdin was ended (it checks `writable`), and we always end stdin, so the request
 * goes through the channel's protocol directly. Servers without signal support ignore it; the
 * channel is closed after anyway.
 */
function killChannel(ch: ClientChannel): void {
  const c = ch as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal(id: number, sig: string): void } };
  };
  try {
    if (c.outgoing && (c.outgoing.state === 'open' || c.outgoing.state === 'eof'))
      c._client?._protocol?.signal(c.outgoing.id, 'KILL');
  } catch {
    // NOTE: best effort: the connection may be going away at the same moment.
  }
}

/** The `Transport` for a real (or lab) node: one persistent ssh2 connection. */
export class NodeSession implements Transport {
  readonly name: string;
  private readonly o: NodeSessionOptions;
  private readonly port: number;
  private readonly user: string;
  private client: Client | null = null;
  private sftpChan: Promise<SFTPWrapper> | null = null;
  private connecting: Promise<Client> | null = null;
  private everConnected = false;
  private closed = false;
  private drops: Array<() => void> = [];
  /** When the node last sent anything (any byte on the connection). */
  private lastHeard = Date.now();

  constructor(options: NodeSessionOptions) {
    this.o = options;
    this.name = options.name;
    this.port = options.port ?? 22;
    this.user = options.user ?? 'root';
  }

  /** `user@host:port` (and the bastion), for messages. */
  get target(): string {
    return `${this.user}@${hostPattern(this.o.host, this.port)}${this.o.jump ? ` via ${this.o.jump.target}` : ''}`;
  }

  /**
   * A TCP connection from this node to `host`:`port` (ProxyJump: this session is the bastion),
   * connecting first if needed.
   */
  async forwardTo(
    host: string,
    port: number,
    timeoutMs = this.everConnected ? (this.o.reconnectTimeoutMs ?? 120_000) : 0,
  ): Promise<Duplex> {
    const client = await this.ensure(timeoutMs);
    return new Promise<Duplex>((resolve, reject) =>
      client.forwardOut('127.0.0.1', 0, host, port, (err, ch) =>
        err
          ? reject(new Error(`${this.name} cannot open a connection to ${hostPattern(host, port)}: ${err.message}`))
          : resolve(ch),
      ),
    );
  }

  /** Whether the connection is up right now. */
  get connected(): boolean {
    return this.client !== null;
  }

  /**
   * Open the connection. With `timeoutMs` > 0, retries with backoff until then; else one attempt.
   * Host key and login failures are never retried.
   */
  async connect(timeoutMs = 0): Promise<void> {
    await this.ensure(timeoutMs);
  }

  async exec(cmd: string, opts: { timeoutMs?: number; stdin?: string } = {}): Promise<RemoteResult> {
    // NOTE: the only transparent retry: the connection was known to be down before anything was sent.
    // A command with its own timeout does not wait longer than that for the connection either
    // (a probe of a node that is powered off must answer "no" in seconds, not after two minutes).
    const reconnectMs = this.everConnected ? (this.o.reconnectTimeoutMs ?? 120_000) : 0;
    const client = await this.ensureWithin(
      opts.timeoutMs !== undefined && reconnectMs > 0 ? Math.min(reconnectMs, opts.timeoutMs) : reconnectMs,
    );
    const timeoutMs = opts.timeoutMs ?? this.o.defaultTimeoutMs ?? 30 * 60_000;
    return new Promise<RemoteResult>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
      let settled = false;
      let stream: ClientChannel | null = null;
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (heart) clearInterval(heart);
        this.drops = this.drops.filter((d) => d !== onDrop);
        fn();
      };
      const onDrop = () => finish(() => reject(this.lost(cmd, 'connection closed')));
      this.drops.push(onDrop);
      const beat = this.o.heartbeatMs ?? 5000;
      let beats = 0;
      // NOTE: a node that stops answering is reported within seconds, and again at every check,
      // until keepalives give the connection up; a long command says what it still waits for.
      const heart =
        beat > 0
          ? setInterval(() => {
              beats++;
              const silent = Date.now() - this.lastHeard;
              const secs = (n: number) => `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)} s`;
              // NOTE: a live node answers every keepalive; silence past 1.5 intervals means it does not.
              if (silent >= (this.o.keepaliveIntervalMs ?? 5000) * 1.5)
                this.log(
                  `${this.name}: no answer for ${secs(silent)} while \`${cmd}\` runs; waiting for the node (the connection is given up after ${secs((this.o.keepaliveIntervalMs ?? 5000) * ((this.o.keepaliveCountMax ?? 3) + 1))} of silence)`,
                );
              else if (beats % 6 === 0)
                this.log(`${this.name}: still waiting for \`${cmd}\` to finish (${secs(ms())})`);
            }, beat)
          : undefined;
      heart?.unref();
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          finish(() => reject(new CommandTimeout(this.name, cmd, timeoutMs)));
          if (stream) {
            killChannel(stream);
            stream.close();
          }
        }, timeoutMs);
      }
      try {
        client.exec(cmd, (err, ch) => {
          if (err)
            return finish(() =>
              reject(
                this.client === client
                  ? new AnvilError(`${this.name}: cannot run \`${cmd}\`: ${err.message}`)
                  : this.lost(cmd, err.message),
              ),
            );
          stream = ch;
          if (settled) {
            ch.close();
            return;
          }
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let code: number | null = null;
          let signal: string | undefined;
          let exited = false;
          ch.on('data', (d: Buffer) => out.push(d));
          ch.stderr.on('data', (d: Buffer) => errOut.push(d));
          ch.on('exit', (c: number | null, sig?: string) => {
            exited = true;
            code = c ?? null;
            if (sig) signal = sig;
          });
          ch.on('close', () => {
            if (!exited && this.client !== client) return onDrop();
            perf.commands++;
            perf.commandMs += ms();
            finish(() =>
              resolve({
                code,
                ...(signal ? { signal } : {}),
                stdout: Buffer.concat(out).toString('utf8'),
                stderr: Buffer.concat(errOut).toString('utf8'),
                ms: ms(),
              }),
            );
          });
          ch.end(opts.stdin ?? undefined);
        });
      } catch (e) {
        // NOTE: ssh2 throws "Not connected" when its socket is already gone but the client's 'close'
        // (which drops it here) has not come yet: forget it now, so the next command connects again.
        if (this.client === client && (e as Error).message === 'Not connected') this.drop();
        finish(() => reject(this.lost(cmd, (e as Error).message)));
      }
    });
  }

  async readFile(path: string): Promise<Buffer | null> {
    return this.withSftp((sftp) => sftpReadFile(sftp, path), `read ${path}`);
  }

  async writeFile(path: string, data: string | Buffer, opts: { mode?: number; backupTo?: string } = {}): Promise<void> {
    // NOTE: retrying a write is safe: the backup is never replaced and the temp name is fresh.
    return this.withSftp((sftp) => sftpWriteFile(sftp, path, data, opts), `write ${path}`, true);
  }

  async reconnect(timeoutMs = this.o.reconnectTimeoutMs ?? 120_000): Promise<void> {
    this.drop();
    await this.ensure(timeoutMs);
  }

  /**
   * Wait for the node to go away (the connection closes: reboot, network restart) and come back
   * (login works again), within `timeoutMs` in all.
   */
  async waitForReboot(timeoutMs = 10 * 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    if (this.client) {
      const gone = new Promise<void>((r) => this.drops.push(r));
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), timeoutMs)));
      const how = await Promise.race([gone, late]);
      clearTimeout(timer);
      if (how === 'late')
        throw new AnvilError(
          `${this.name}: did not go down within ${Math.round(timeoutMs / 1000)} s`,
          'check that the reboot command really ran on the node',
        );
    }
    this.log(`${this.name}: down, waiting for it to come back`);
    await this.ensure(Math.max(1, deadline - Date.now()));
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.drop();
    if (c) await new Promise<void>((r) => (c.once('close', () => r()), setTimeout(r, 2000).unref()));
  }

  private log(message: string): void {
    this.o.log?.(message);
  }

  /** Forget the current connection (if any) and fail what runs on it. */
  private drop(): void {
    const c = this.client;
    this.client = null;
    this.sftpChan = null;
    if (c) {
      c.removeAllListeners('ready');
      c.end();
    }
    const drops = this.drops;
    this.drops = [];
    for (const d of drops) d();
  }

  private async withSftp<T>(fn: (sftp: SFTPWrapper) => Promise<T>, what: string, retry = false): Promise<T> {
    const t0 = performance.now();
    try {
      return await this.sftpOnce(fn, what, retry);
    } finally {
      perf.sftpOps++;
      perf.sftpMs += performance.now() - t0;
    }
  }

  private async sftpOnce<T>(fn: (sftp: SFTPWrapper) => Promise<T>, what: string, retry: boolean): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.ensure(this.everConnected ? (this.o.reconnectTimeoutMs ?? 120_000) : 0);
      try {
        if (!this.sftpChan) {
          const p = new Promise<SFTPWrapper>((resolve, reject) =>
            client.sftp((err, s) => (err ? reject(err) : resolve(s))),
          );
          this.sftpChan = p;
          p.then(
            (s) => s.on('close', () => this.sftpChan === p && (this.sftpChan = null)),
            () => this.sftpChan === p && (this.sftpChan = null),
          );
        }
        return await fn(await this.sftpChan);
      } catch (e) {
        if (e instanceof AnvilError) throw e;
        const lost = this.client !== client;
        if (lost && retry && attempt === 0) continue;
        if (lost) throw this.lost(what, (e as Error).message);
        throw new AnvilError(`${this.name}: cannot ${what}: ${(e as Error).message}`);
      }
    }
  }

  /**
   * `ensure`, but giving up after `timeoutMs` even when a longer connection attempt (started by
   * another caller) is still under way.
   */
  private ensureWithin(timeoutMs: number): Promise<Client> {
    if (this.client || !this.connecting || timeoutMs <= 0) return this.ensure(timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ConnectionFailed(this.name, this.target, `not reachable within ${Math.round(timeoutMs / 1000)} s`),
          ),
        timeoutMs,
      );
    });
    return Promise.race([this.ensure(timeoutMs), late]).finally(() => clearTimeout(timer));
  }

  /** The live client, connecting (with backoff up to `timeoutMs`) when there is none. */
  private ensure(timeoutMs: number): Promise<Client> {
    if (this.closed) return Promise.reject(new AnvilError(`${this.name}: session closed`));
    if (this.client) return Promise.resolve(this.client);
    if (!this.connecting) {
      this.connecting = this.connectLoop(timeoutMs).finally(() => (this.connecting = null));
    }
    return this.connecting;
  }

  private async connectLoop(timeoutMs: number): Promise<Client> {
    const clock = this.o.clock ?? REAL_CLOCK;
    const deadline = clock.now() + timeoutMs;
    const delays = backoffDelays(this.o.backoff);
    for (let attempt = 1; ; attempt++) {
      try {
        const c = await this.attempt(
          Math.max(1000, Math.min(this.o.readyTimeoutMs ?? 20_000, timeoutMs > 0 ? deadline - clock.now() : Infinity)),
        );
        if (attempt > 1 || this.everConnected)
          this.log(`${this.name}: connected to ${this.target}${attempt > 1 ? ` after ${attempt} attempts` : ''}`);
        this.everConnected = true;
        return c;
      } catch (e) {
        if (this.closed) throw new AnvilError(`${this.name}: session closed`);
        if (isPermanent(e)) throw e;
        const why = (e as Error).message;
        const gone = this.o.gone?.();
        if (gone) throw new ConnectionFailed(this.name, this.target, `${why}: ${gone.why}`, gone.hint);
        const wait = delays.next().value;
        if (timeoutMs <= 0 || clock.now() + wait >= deadline) {
          throw new ConnectionFailed(
            this.name,
            this.target,
            timeoutMs > 0 ? `${why} (gave up after ${attempt} attempts in ${Math.round(timeoutMs / 1000)} s)` : why,
          );
        }
        this.log(`${this.name}: ${this.target} not reachable (${why}); retrying in ${wait} ms`);
        await clock.sleep(wait);
      }
    }
  }

  /** The byte stream to the node: our own TCP socket (no Nagle), or a channel through the bastion. */
  private openStream(): Promise<Duplex> {
    const { host } = this.o;
    const port = this.port;
    if (this.o.jump) return this.o.jump.forwardTo(host, port);
    if (this.o.stream) return Promise.resolve(this.o.stream());
    return new Promise<Duplex>((resolve, reject) => {
      const sock = tcpConnect({ host, port });
      sock.setNoDelay(true);
      sock.once('error', reject);
      sock.once('connect', () => {
        sock.removeListener('error', reject);
        resolve(sock);
      });
    });
  }

  /** One connection attempt: the stream, then the SSH handshake and login. */
  private attempt(limitMs: number): Promise<Client> {
    const { host } = this.o;
    const port = this.port;
    return new Promise<Client>((resolve, reject) => {
      let done = false;
      let hostKeyError: Error | null = null;
      const tried: string[] = [];
      let sock: Duplex | null = null;
      const client = new Client();
      const fail = (e: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock?.destroy();
        client.end();
        reject(e);
      };
      // NOTE: the clock stops while a human answers (host key question, password prompt): a login
      // limit must not cancel the operator mid-thought. ssh2's own readyTimeout is off for that reason.
      let timer: NodeJS.Timeout | undefined;
      const arm = () => (timer = setTimeout(() => fail(new Error(`no SSH login within ${limitMs} ms`)), limitMs));
      const asking = async <T>(ask: () => Promise<T>): Promise<T> => {
        clearTimeout(timer);
        try {
          return await ask();
        } finally {
          if (!done) arm();
        }
      };
      arm();
      const confirm = this.o.hostKeys.confirm;
      const policy: HostKeyPolicy = {
        ...this.o.hostKeys,
        ...(confirm ? { confirm: (...a) => asking(() => confirm(...a)) } : {}),
      };
      this.openStream().then(
        (stream) => {
          if (done) return void stream.destroy();
          sock = stream;
          // NOTE: a throw in here (a known_hosts that is a folder, a bad option) would be an unhandled
          // rejection that kills the process with a stack trace: it fails this attempt instead.
          try {
            stream.on('data', () => (this.lastHeard = Date.now()));
            stream.once('error', (e) => fail(e));
            const methods = this.authSteps();
            client.on('error', (e: Error & { level?: string }) => {
              if (hostKeyError) return fail(hostKeyError);
              if (e.level === 'client-authentication') return fail(new AuthFailed(this.name, this.target, tried));
              fail(e);
            });
            client.on('close', () => {
              if (!done) return fail(hostKeyError ?? new Error('connection closed during login'));
              if (this.client === client) {
                this.log(`${this.name}: connection to ${this.target} closed`);
                this.drop();
              }
            });
            client.once('ready', () => {
              if (done) return;
              done = true;
              clearTimeout(timer);
              // NOTE: after login, errors (keepalive timeout, reset) are followed by 'close', handled above.
              client.removeAllListeners('error');
              client.on('error', () => undefined);
              this.lastHeard = Date.now();
              this.client = client;
              resolve(client);
            });
            const serverHostKey = preferredHostKeyAlgorithms(this.o.hostKeys, host, port);
            const next = (left: AuthenticationType[] | null, cb: (m: AnyAuthMethod | false) => void): void => {
              const m = methods.shift();
              if (!m) return cb(false);
              const type = m.kind === 'key' || m.kind === 'agent' ? 'publickey' : 'password';
              if (left && !left.includes(type)) return next(left, cb);
              if (m.kind === 'agent') {
                tried.push('agent');
                return cb({ type: 'agent', username: this.user, agent: this.agentSocket()! });
              }
              if (m.kind === 'key') {
                asking(() => loadIdentity(m.file, this.o.askPassphrase)).then(
                  (key) => {
                    if (typeof key === 'string') {
                      this.log(`${this.name}: key skipped: ${key}`);
                      return next(left, cb);
                    }
                    tried.push(`publickey ${m.file}`);
                    cb({ type: 'publickey', username: this.user, key });
                  },
                  (e: Error) => fail(e),
                );
                return;
              }
              if (m.attempt > 1) this.log(`${this.name}: permission denied, please try again`);
              asking(() => this.o.askPassword!(this.name, m.attempt)).then(
                (password) => {
                  if (!tried.includes('password')) tried.push('password');
                  cb({ type: 'password', username: this.user, password });
                },
                (e: Error) => fail(e),
              );
            };
            client.connect({
              sock: stream,
              username: this.user,
              readyTimeout: 0,
              keepaliveInterval: this.o.keepaliveIntervalMs ?? 5000,
              keepaliveCountMax: this.o.keepaliveCountMax ?? 3,
              ...(serverHostKey ? { algorithms: { serverHostKey: serverHostKey as never } } : {}),
              hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
                verifyHostKey(policy, host, port, key).then(
                  () => verify(true),
                  (e: Error) => {
                    hostKeyError = e;
                    verify(false);
                  },
                );
              },
              authHandler: (
                left: AuthenticationType[] | null,
                _partial: boolean,
                cb: (m: AnyAuthMethod | false) => void,
              ) => next(left, cb),
            } as never);
          } catch (e) {
            fail(e as Error);
          }
        },
        (e: Error) => fail(e),
      );
    });
  }

  /** A dropped connection, with why the node cannot come back when it cannot (`gone`). */
  private lost(cmd: string, why: string): ConnectionLost {
    const gone = this.o.gone?.();
    return gone
      ? new ConnectionLost(this.name, cmd, `${why}: ${gone.why}`, gone.hint)
      : new ConnectionLost(this.name, cmd, why);
  }

  private agentSocket(): string | undefined {
    if (this.o.agent === false) return undefined;
    return this.o.agent ?? process.env.SSH_AUTH_SOCK ?? undefined;
  }

  /** Login methods in OpenSSH's order: the given key, the agent, identity files, then password tries. */
  private authSteps(): AuthStep[] {
    const m: AuthStep[] = [];
    if (this.o.privateKeyPath) m.push({ kind: 'key', file: this.o.privateKeyPath });
    if (this.agentSocket()) m.push({ kind: 'agent' });
    for (const f of this.o.identityFiles ?? []) if (f !== this.o.privateKeyPath) m.push({ kind: 'key', file: f });
    if (this.o.askPassword)
      for (let i = 1; i <= (this.o.passwordTries ?? 3); i++) m.push({ kind: 'password', attempt: i });
    return m;
  }
}
