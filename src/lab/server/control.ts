/**
 * Talking to the lab from outside: a small SSH exec client (used by `lab exec` and the control
 * channel), the fault grammar shared by the CLI and the control endpoint, and the control commands.
 *
 * The control channel is one more ssh2 endpoint on 127.0.0.1 (port and host-key fingerprint in
 * `lab.json`), accepting only the lab's client key, whose exec commands are:
 *
 * - `ping` → `pong`
 * - `status` → JSON {@link LabStatus}
 * - `fault cable NODE NIC up|down` | `fault switch sw1|sw2 up|down` | `fault drop-ssh NODE` |
 *   `fault power NODE on|off` | `fault crash NODE` | `fault bmc NODE up|down` | `fault pdu NAME up|down` |
 *   `fault outlet PDU PORT NODE`
 * - `save` → writes world.json now
 */
import { readFileSync } from 'node:fs';
import type { ConnectConfig } from 'ssh2';
import ssh2 from 'ssh2';
import { AnvilError } from '../../errors.js';
import type { LabEndpoint } from '../store/persist.js';
import { fingerprint } from '../../remote/host-keys.js';
import type { LabExecResult, LabFault, LabWorld } from '../types.js';

const { Client } = ssh2;

/** Connection options for one lab endpoint, ready for ssh2's `Client.connect` (or a NodeSession). */
export interface LabConnectOptions extends ConnectConfig {
  host: '127.0.0.1';
  port: number;
  username: 'root';
  /** Contents of the lab client key. */
  privateKey: string;
  /** Where that key lives (for OpenSSH: `ssh -i`). */
  privateKeyPath: string;
  /** The SHA256 fingerprint the endpoint must present. */
  hostKeyFingerprint: string;
  /** Accepts only the expected host key. */
  hostVerifier: (key: Buffer) => boolean;
}

/** Options to reach `endpoint` with the lab's client key. */
export function endpointConnectOptions(endpoint: LabEndpoint, clientKeyPath: string): LabConnectOptions {
  let privateKey: string;
  try {
    privateKey = readFileSync(clientKeyPath, 'utf8');
  } catch (e) {
    throw new AnvilError(
      `cannot read the lab client key ${clientKeyPath}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
  const fp = endpoint.hostKeyFingerprint;
  return {
    host: '127.0.0.1',
    port: endpoint.port,
    username: 'root',
    privateKey,
    privateKeyPath: clientKeyPath,
    hostKeyFingerprint: fp,
    hostVerifier: (key: Buffer) => fingerprint(key) === fp,
    readyTimeout: 20000,
  };
}

/** Result of a command run over SSH; `code` is null when the channel closed without an exit status. */
export interface SshExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
}

/** What to send a command and where its output goes as it comes. */
export interface ExecIo {
  stdin?: string | Buffer;
  onStdout?(d: Buffer): void;
  onStderr?(d: Buffer): void;
}

/**
 * Run `cmd` on a channel of the ready connection `c`: its output collected, stdin (possibly empty)
 * sent and closed at once, so the lab runs the command without waiting. `done` gets the result or
 * the error that opened no channel; the connection's own failures are the caller's to watch.
 */
export function execOnChannel(
  c: InstanceType<typeof Client>,
  cmd: string,
  io: ExecIo,
  done: (err: Error | null, r?: SshExecResult) => void,
): void {
  c.exec(cmd, (err, stream) => {
    if (err) return done(err);
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    let code: number | null = null;
    let signal: string | undefined;
    stream.on('data', (d: Buffer) => {
      out.push(d);
      io.onStdout?.(d);
    });
    stream.stderr.on('data', (d: Buffer) => {
      errs.push(d);
      io.onStderr?.(d);
    });
    stream.on('exit', (c1: number | null, sig?: string) => {
      code = c1;
      signal = sig ?? undefined;
    });
    stream.on('close', () =>
      done(null, {
        code,
        ...(signal ? { signal } : {}),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(errs).toString('utf8'),
      }),
    );
    stream.end(io.stdin ?? '');
  });
}

/**
 * Connect, run one command, disconnect. Rejects when the connection fails (refused, auth, host key).
 */
export function sshExec(opts: ConnectConfig, cmd: string, io: ExecIo = {}): Promise<SshExecResult> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    let settled = false;
    const done = (err: Error | null, r?: SshExecResult) => {
      if (settled) return;
      settled = true;
      c.end();
      if (err) reject(err);
      else resolve(r!);
    };
    c.on('error', (e) => done(e));
    c.on('close', () => done(new Error('connection closed before the command finished')));
    c.on('ready', () => {
      // NOTE: as in ControlLink: no ~40 ms Nagle/delayed-ACK stall on the small request packets.
      c.setNoDelay(true);
      execOnChannel(c, cmd, io, done);
    });
    c.connect(opts);
  });
}

/** Usage of the fault grammar, for help texts and errors. */
export const FAULT_USAGE = [
  'cable NODE NIC up|down',
  'switch sw1|sw2 up|down',
  'drop-ssh NODE',
  'power NODE on|off',
  'crash NODE',
  'media NODE PATH',
  'switch-for NODE NIC up|down',
  'bmc NODE up|down',
  'pdu NAME up|down',
  'outlet PDU PORT NODE',
];

/** Parse `KIND ARGS...` into a LabFault; throws AnvilError with the usage on a mistake. */
export function parseFault(args: string[], nodes: string[]): LabFault {
  const [kind, ...rest] = args;
  const bad = (why: string): never => {
    throw new AnvilError(`fault: ${why}`, `usage: anvil-install lab fault ${FAULT_USAGE.join(' | ')}`);
  };
  const node = (n: string | undefined): string => {
    if (!n) return bad(`${kind} needs a node name (${nodes.join(', ')})`);
    if (!nodes.includes(n)) return bad(`unknown node "${n}" (lab nodes: ${nodes.join(', ')})`);
    return n;
  };
  const flag = (v: string | undefined, on: string, off: string): boolean => {
    if (v === on) return true;
    if (v === off) return false;
    return bad(`${kind} needs ${on}|${off}, got ${v === undefined ? 'nothing' : `"${v}"`}`);
  };
  const arity = (n: number) => {
    if (rest.length !== n) bad(`${kind} takes ${n} argument${n === 1 ? '' : 's'}, got ${rest.length}`);
  };
  switch (kind) {
    case 'cable':
      arity(3);
      if (!rest[1]) bad('cable needs a NIC name (e.g. eth0)');
      return { kind: 'cable', node: node(rest[0]), nic: rest[1], up: flag(rest[2], 'up', 'down') };
    case 'switch':
      arity(2);
      if (rest[0] !== 'sw1' && rest[0] !== 'sw2') bad(`switch must be sw1 or sw2, got "${rest[0] ?? ''}"`);
      return { kind: 'switch', switch: rest[0] as 'sw1' | 'sw2', up: flag(rest[1], 'up', 'down') };
    case 'drop-ssh':
      arity(1);
      return { kind: 'drop-ssh', node: node(rest[0]) };
    case 'power':
      arity(2);
      return { kind: 'power', node: node(rest[0]), on: flag(rest[1], 'on', 'off') };
    case 'crash':
      arity(1);
      return { kind: 'crash', node: node(rest[0]) };
    case 'switch-for':
      arity(3);
      if (!rest[1]) bad('switch-for needs a NIC name (e.g. eth0): the switch it is cabled to');
      return {
        kind: 'switch-for',
        node: node(rest[0]),
        nic: rest[1],
        up: flag(rest[2], 'up', 'down'),
      } as unknown as LabFault;
    case 'media':
      arity(2);
      if (!rest[1]?.startsWith('/')) bad('media needs an absolute path on the node (e.g. /shared/files/x.iso)');
      return { kind: 'media', node: node(rest[0]), path: rest[1] } as unknown as LabFault;
    case 'bmc':
      arity(2);
      return { kind: 'bmc', node: node(rest[0]), up: flag(rest[1], 'up', 'down') };
    case 'pdu':
      arity(2);
      if (!rest[0]) bad('pdu needs the PDU name (as in the answers, e.g. pdu2)');
      return { kind: 'pdu', pdu: rest[0], up: flag(rest[1], 'up', 'down') };
    case 'outlet':
      arity(3);
      if (!rest[0]) bad('outlet needs the PDU name (e.g. pdu2)');
      if (!/^\d+$/.test(rest[1] ?? '') || Number(rest[1]) < 1 || Number(rest[1]) > 24)
        bad(`outlet needs a port number 1-24, got "${rest[1] ?? ''}"`);
      return { kind: 'outlet', pdu: rest[0], port: String(Number(rest[1])), node: node(rest[2]) };
    default:
      return bad(kind ? `unknown fault kind "${kind}"` : 'which fault?');
  }
}

/** What `status` reports. */
export interface LabStatus {
  pid: number;
  stateDir: string;
  nodes: Record<string, { port: number; hostKeyFingerprint: string; reachable: boolean; connections: number }>;
  control: { port: number };
}

/** What the control endpoint needs from the running lab. */
export interface ControlTarget {
  world: LabWorld;
  status(): LabStatus;
  save(): void;
}

/** Lab time of a world (wall clock for a world without its own clock). */
function labNow(w: LabWorld): number {
  return w.now?.() ?? Date.now();
}

/** Run one control command (server side). */
export async function runControl(target: ControlTarget, cmdline: string): Promise<LabExecResult> {
  const words = cmdline.trim().split(/\s+/).filter(Boolean);
  const [verb, ...args] = words;
  try {
    switch (verb) {
      case 'ping':
        return { code: 0, stdout: 'pong\n', stderr: '' };
      case 'status':
        return { code: 0, stdout: `${JSON.stringify(target.status())}\n`, stderr: '' };
      case 'save':
        target.save();
        return { code: 0, stdout: 'saved\n', stderr: '' };
      case 'now':
        return { code: 0, stdout: `${labNow(target.world)}\n`, stderr: '' };
      case 'advance': {
        // NOTE: the installer's waits on the lab: lab time jumps ahead and the due timers fire.
        const ms = Number(args[0]);
        if (args.length !== 1 || !Number.isFinite(ms) || ms < 0)
          throw new AnvilError(`advance: needs milliseconds (a number >= 0), got "${args.join(' ')}"`);
        target.world.advance?.(ms);
        await target.world.settle?.();
        return { code: 0, stdout: `${labNow(target.world)}\n`, stderr: '' };
      }
      case 'fault': {
        const f = parseFault(args, Object.keys(target.world.nodes));
        target.world.fault(f);
        target.save();
        return { code: 0, stdout: `${JSON.stringify(f)}\n`, stderr: '' };
      }
      default:
        return {
          code: 2,
          stdout: '',
          stderr: `lab control: unknown command "${verb ?? ''}" (ping, status, save, now, advance MS, fault ...)\n`,
        };
    }
  } catch (e) {
    const msg =
      e instanceof AnvilError
        ? `${e.message}${e.hint ? `\n${e.hint}` : ''}`
        : e instanceof Error
          ? e.message
          : String(e);
    return { code: 2, stdout: '', stderr: `${msg}\n` };
  }
}
