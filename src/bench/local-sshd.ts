/**
 * A real OpenSSH sshd on 127.0.0.1 with throw-away keys, for the transport tests and the benchmark.
 * Everything lives in one temp folder: host key, client key, authorized_keys, config, pid file.
 * Nothing here is used by an install run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** Path of the OpenSSH server binary used by the harness. */
export const SSHD = '/usr/sbin/sshd';

/** Why the harness cannot run here, or null when it can (sshd + ssh-keygen present). */
export function sshdUnavailable(): string | null {
  if (!existsSync(SSHD)) return `${SSHD} not found (apt-get install openssh-server)`;
  const kg = spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' });
  if (kg.error) return 'ssh-keygen not found (apt-get install openssh-client)';
  return null;
}

/** A running loopback sshd. */
export interface LocalSshd {
  /** Always 127.0.0.1. */
  readonly host: string;
  readonly port: number;
  /** Login user (the current user; root in CI). */
  readonly user: string;
  /** Temp folder holding keys, config and logs. */
  readonly dir: string;
  /** Private key accepted by the server (ed25519, no passphrase). */
  readonly clientKeyPath: string;
  /** Current host public key line (`ssh-ed25519 AAAA...`). */
  hostKeyLine(): string;
  /** Current host key blob. */
  hostKeyBlob(): Buffer;
  /** The listener's pid, or null when stopped. */
  pid(): number | null;
  /** Kill the listener and every session it forked (connections drop). */
  kill(): Promise<void>;
  /** Start again on the same port; `newHostKey` generates a fresh host key first. */
  start(opts?: { newHostKey?: boolean }): Promise<void>;
  /** Kill and start again. */
  restart(opts?: { newHostKey?: boolean }): Promise<void>;
  /** Last lines sshd wrote to stderr (for failure messages). */
  log(): string;
  /** Kill and delete the temp folder. */
  stop(): Promise<void>;
}

function keygen(path: string): void {
  rmSync(path, { force: true });
  rmSync(path + '.pub', { force: true });
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'anvil-test', '-f', path], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr || r.error}`);
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once something on host:port answers with an SSH banner; polls until `timeoutMs`. */
export async function waitForSshBanner(
  host: string,
  port: number,
  timeoutMs: number,
  alive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      let buf = '';
      const done = (v: boolean) => {
        s.destroy();
        resolve(v);
      };
      s.setTimeout(2000, () => done(false));
      s.on('data', (d) => {
        buf += d.toString('latin1');
        if (buf.startsWith('SSH-')) done(true);
      });
      s.on('error', () => done(false));
      s.on('close', () => done(buf.startsWith('SSH-')));
    });
    if (ok) return;
    if (!alive()) throw new Error(`sshd on ${host}:${port} exited before accepting connections`);
    if (Date.now() > deadline) throw new Error(`sshd on ${host}:${port} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

/** Pids of every descendant of `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'latin1');
      // NOTE: the command name (field 2) may contain spaces and parentheses; fields after the last ')' are fixed.
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(e), Number(rest[1]));
    } catch {
      // process ended while listing
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parentOf)
      if (parent === p && !out.includes(child)) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}

/**
 * Pids of processes whose environment holds `HOME=<home>`: commands started through this harness's
 * sshd (see `SetEnv HOME`), including those orphaned when their session ended (a timed-out command
 * whose channel was closed keeps running, reparented to init).
 */
function processesWithHome(home: string): number[] {
  const needle = Buffer.from(`\0HOME=${home}\0`);
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const env = Buffer.concat([Buffer.from([0]), readFileSync(`/proc/${e}/environ`), Buffer.from([0])]);
      if (env.includes(needle)) out.push(Number(e));
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return out;
}

/**
 * Start a loopback sshd (random free port, temp keys). Run as root it logs in as root; as another
 * user it logs in as that user (UsePAM no, StrictModes no).
 */
export async function startLocalSshd(opts: { startTimeoutMs?: number; logLevel?: string } = {}): Promise<LocalSshd> {
  const why = sshdUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'anvil-sshd-'));
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const clientKeyPath = join(dir, 'id_ed25519');
  keygen(hostKey);
  keygen(clientKeyPath);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(clientKeyPath + '.pub'));
  mkdirSync(join(dir, 'home'));
  // NOTE: sshd refuses to start without its privilege separation folder; a fresh container lacks it.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const user = userInfo().username;
  const timeout = opts.startTimeoutMs ?? 30_000;
  let port = 0;
  let child: ChildProcess | null = null;
  let logBuf = '';
  let exited = true;

  const writeConfig = () =>
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'UseDNS no',
        'MaxSessions 200',
        'MaxStartups 200',
        `LogLevel ${opts.logLevel ?? 'INFO'}`,
        'Subsystem sftp internal-sftp',
        // NOTE: the login shell sources ~/.bashrc for ssh commands; a developer box's (pyenv, nvm...)
        // can cost 200 ms per command and would drown what the tests and the bench measure.
        `SetEnv HOME=${join(dir, 'home')}`,
        '',
      ].join('\n'),
    );

  const launch = async (): Promise<void> => {
    writeConfig();
    logBuf = '';
    exited = false;
    const c = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr.on('data', (d) => {
      logBuf = (logBuf + (d as Buffer).toString()).slice(-8000);
    });
    c.on('exit', () => {
      exited = true;
    });
    c.on('error', (e) => {
      exited = true;
      logBuf += String(e);
    });
    await waitForSshBanner('127.0.0.1', port, timeout, () => !exited);
  };

  const killAll = (pids: number[]) => {
    for (const k of pids) {
      try {
        process.kill(k, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || exited) return;
    const kids = descendants(c.pid!);
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    killAll(kids);
    await gone;
    child = null;
  };

  // NOTE: a free port can be taken between probing and binding; pick another and retry a few times.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (e) {
      await kill();
      if (attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`${(e as Error).message}\n${logBuf}`);
      }
    }
  }

  const pubLine = () =>
    readFileSync(hostKey + '.pub', 'utf8')
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .join(' ');
  const start = async (o: { newHostKey?: boolean } = {}): Promise<void> => {
    if (child && !exited) throw new Error('sshd is already running');
    if (o.newHostKey) keygen(hostKey);
    try {
      await launch();
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logBuf}`);
    }
  };
  return {
    host: '127.0.0.1',
    port,
    user,
    dir,
    clientKeyPath,
    hostKeyLine: pubLine,
    hostKeyBlob: () => Buffer.from(pubLine().split(' ')[1], 'base64'),
    pid: () => (child && !exited ? (child.pid ?? null) : null),
    kill,
    start,
    async restart(o = {}) {
      await kill();
      await start(o);
    },
    log: () => logBuf,
    async stop() {
      await kill();
      killAll(processesWithHome(join(dir, 'home')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
