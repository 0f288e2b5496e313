/**
 * Starting, finding and stopping a lab: the simulated world served over real SSH on 127.0.0.1,
 * with its state folder (see store/persist.ts for the layout). Used by `install --lab`, `lab serve` and
 * the tests.
 */
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AnvilError } from '../errors.js';
import { secretValues } from '../plan/derive.js';
import type { Answers } from '../plan/schema.js';
import {
  endpointConnectOptions,
  runControl,
  sshExec,
  type LabConnectOptions,
  type LabStatus,
} from './server/control.js';
import { LabJournal } from './store/journal.js';
import { inProcessController } from './server/lab-controller.js';
import {
  LAB_FILE_VERSION,
  clientKeyPath,
  hostKeyPath,
  loadOrCreateKeyPair,
  loadSavedWorld,
  readLabInfo,
  saveWorld,
  writeLabInfo,
  WorldSaver,
  worldPath,
  type LabEndpoint,
  type LabInfo,
} from './store/persist.js';
import { LabSshServer } from './server/server.js';
import { startKeysAhead, withKeysAhead } from './node/keys.js';
import { NodeSession, type NodeSessionOptions } from '../remote/node-session.js';
import type { Transport } from '../remote/types.js';
import type { LabWorld } from './types.js';
import { pidAlive } from '../util/pid.js';
import { acquireLock, LockHeld } from '../state/store.js';
import { perf } from '../util/perf.js';
import { importAtRunTime } from '../util/import-at-run-time.js';

/** Lock file of a lab folder: held by the process serving the lab (`lab serve` or in-process). */
export const LAB_LOCK_FILE = 'lab.lock';

/**
 * Take the lab folder's lock: one lab per folder, whoever starts it (`lab serve`, `install --lab`,
 * an offline `lab exec`). NOTE: lab.json alone cannot tell: two labs started within a moment both
 * find none running yet, and the last to save world.json wins.
 */
export function lockLabFolder(stateDir: string): () => void {
  try {
    return acquireLock(stateDir, {
      file: LAB_LOCK_FILE,
      what: `lab folder ${stateDir}`,
      hint: 'a lab is running (or starting) from it: use that lab (`anvil-install lab status`), or stop it first',
    });
  } catch (e) {
    if (e instanceof LockHeld)
      throw new AnvilError(
        `a lab is already running (or starting) from ${stateDir}${e.pid ? ` (pid ${e.pid})` : ''}`,
        'connect to it (its endpoints are in lab.json; `anvil-install lab status`), or stop it first',
      );
    throw e;
  }
}

/** Run `fn` holding the lab folder's lock (offline changes to a saved world). */
export async function withLabLock<T>(stateDir: string, fn: () => T | Promise<T>): Promise<T> {
  const unlock = lockLabFolder(resolve(stateDir));
  try {
    return await fn();
  } finally {
    unlock();
  }
}

export type { LabEndpoint, LabInfo } from './store/persist.js';
export type { LabConnectOptions, LabStatus } from './server/control.js';

/** Root password of lab nodes whose answers give none (`nodes[].ssh.password`). */
export const LAB_DEFAULT_PASSWORD = 'anvil';

/** The world factory's signature (src/lab/world.ts). */
export type CreateWorld = (opts: { answers?: Answers; saved?: unknown; seed?: number }) => LabWorld;

/**
 * The world factory: `createWorld` of ./world.js (the whole lab), or that of the module named by
 * `ANVIL_LAB_WORLD_MODULE` (a path; a test and development seam to serve another world that honours
 * the same contract).
 */
export async function loadCreateWorld(): Promise<CreateWorld> {
  const override = process.env.ANVIL_LAB_WORLD_MODULE;
  // NOTE: imported when a lab starts, not with this module: every CLI command loads this module, and
  // only a lab needs the simulator.
  if (!override) return (await import('./world.js')).createWorld;
  const mod = await importAtRunTime<{ createWorld?: CreateWorld }>(pathToFileURL(resolve(override)).href);
  if (typeof mod.createWorld !== 'function') throw new AnvilError(`${override} does not export createWorld()`);
  return mod.createWorld;
}

/** A running lab, in this process. */
export interface LabHandle {
  /** SSH endpoint of every node. */
  nodes: Record<string, LabEndpoint>;
  /** The control endpoint (status, faults). */
  control: LabEndpoint;
  /** The lab client key (OpenSSH private key; `.pub` next to it). */
  clientKeyPath: string;
  /** The state folder in use. */
  stateDir: string;
  world: LabWorld;
  /** ssh2 connect options for a node, with a host-key check pinned to its fingerprint. */
  connectOptions(node: string): LabConnectOptions;
  /** A NodeSession per node (connects on first use; the caller closes them). */
  transports(): Record<string, Transport>;
  /** What `lab status` shows. */
  status(): LabStatus;
  /** Write world.json now. */
  save(): void;
  /** Stop serving, save the world, mark lab.json stopped (a temporary state folder is removed). */
  stop(): Promise<void>;
}

/** Options of {@link startLab}. */
export interface StartLabOptions {
  /** State folder; absent = a temporary folder removed by `stop()`. */
  stateDir?: string;
  /** The answers (node names, root passwords); may be absent when a saved world exists. */
  answers?: Answers;
  /** Recorded in lab.json so other commands can reload the same answers. */
  answersFile?: string;
  /** Fixed port per node name; others get `portBase + index`, their previous port, or a free one. */
  ports?: Record<string, number>;
  /** Node i listens on portBase + i, the control endpoint on portBase + number of nodes. */
  portBase?: number;
  /** World factory (tests); default {@link loadCreateWorld}. */
  createWorld?: CreateWorld;
  /** Seed for a fresh world. */
  seed?: number;
  /** Unexpected errors while serving (failed save, ...). Default: ignored after being counted. */
  onError?(e: unknown): void;
}

/** A lab running elsewhere (another process, or this one), as found through its state folder. */
export interface RunningLab extends LabInfo {
  status: LabStatus;
}

/**
 * The lab described by `<stateDir>/lab.json` if it is running: its process is alive, its control
 * endpoint answers with the recorded host key and the lab client key, and it reports the same node
 * ports and fingerprints. Null otherwise (never started, stopped, killed, or something else on the ports).
 */
export async function findRunningLab(stateDir: string): Promise<RunningLab | null> {
  const info = readLabInfo(resolve(stateDir));
  if (!info || !info.pid || !pidAlive(info.pid)) return null;
  let status: LabStatus;
  try {
    const r = await sshExec(
      { ...endpointConnectOptions(info.control, info.clientKeyPath), readyTimeout: 10000 },
      'status',
    );
    if (r.code !== 0) return null;
    status = JSON.parse(r.stdout) as LabStatus;
  } catch {
    return null;
  }
  for (const [name, ep] of Object.entries(info.nodes)) {
    const s = status.nodes[name];
    if (!s || s.port !== ep.port || s.hostKeyFingerprint !== ep.hostKeyFingerprint) return null;
  }
  return { ...info, status };
}

/** The endpoint of `node`; an AnvilError naming the lab's nodes when there is none. */
function labEndpoint(lab: { nodes: Record<string, LabEndpoint> }, node: string): LabEndpoint {
  const ep = lab.nodes[node];
  if (!ep) throw new AnvilError(`no lab node named "${node}" (lab nodes: ${Object.keys(lab.nodes).join(', ')})`);
  return ep;
}

/** ssh2 connect options for `node` of a lab (a {@link LabHandle} or a {@link RunningLab}). */
export function labConnectOptions(
  lab: { nodes: Record<string, LabEndpoint>; clientKeyPath: string },
  node: string,
): LabConnectOptions {
  return endpointConnectOptions(labEndpoint(lab, node), lab.clientKeyPath);
}

/**
 * NodeSession options for `node` of a lab: the lab client key, no agent, the host key pinned to the
 * lab's fingerprint. The installer adds its own log/timeouts.
 */
export function labSessionOptions(
  lab: { nodes: Record<string, LabEndpoint>; clientKeyPath: string },
  node: string,
): NodeSessionOptions {
  const ep = labEndpoint(lab, node);
  return {
    name: node,
    host: ep.host,
    port: ep.port,
    user: 'root',
    privateKeyPath: lab.clientKeyPath,
    agent: false,
    hostKeys: { pinned: ep.hostKeyFingerprint },
  };
}

async function listenPreferring(
  make: (port: number) => LabSshServer,
  wanted: number,
  fixed: boolean,
): Promise<LabSshServer> {
  const s = make(wanted);
  try {
    await s.listen();
    return s;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (fixed || wanted === 0 || code !== 'EADDRINUSE') {
      throw new AnvilError(
        `cannot listen on 127.0.0.1:${wanted}: ${code ?? (e as Error).message}`,
        'pick other ports (--port-base) or stop what uses them',
      );
    }
    // NOTE: the port remembered from the last run is taken: any free port will do.
    const s2 = make(0);
    await s2.listen();
    return s2;
  }
}

/**
 * Start a lab in this process: restore the world from `<stateDir>/world.json` (or create it from the
 * answers), serve each node over SSH on 127.0.0.1, keep world.json and the journals up to date, and
 * describe the endpoints in lab.json. Refuses when another live lab serves the same state folder
 * (use {@link findRunningLab} to connect to it instead).
 */
export async function startLab(opts: StartLabOptions): Promise<LabHandle> {
  const ephemeral = !opts.stateDir;
  const stateDir = opts.stateDir ? resolve(opts.stateDir) : mkdtempSync(join(tmpdir(), 'anvil-lab-'));
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  // NOTE: the lock first, then everything else: it is what makes "one lab per folder" hold.
  const unlock = ephemeral ? () => {} : lockLabFolder(stateDir);
  try {
    return await startLocked(opts, stateDir, ephemeral, unlock);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function startLocked(
  opts: StartLabOptions,
  stateDir: string,
  ephemeral: boolean,
  unlock: () => void,
): Promise<LabHandle> {
  const onError = opts.onError ?? (() => {});
  // NOTE: a fresh world seeds a 2048-bit host key per node (seed/centos64.ts): made meanwhile, in parallel.
  const ahead =
    opts.answers && !existsSync(worldPath(stateDir)) ? startKeysAhead(opts.answers.nodes.length) : undefined;
  const running = ephemeral ? null : await findRunningLab(stateDir);
  if (running) {
    throw new AnvilError(
      `a lab is already running from ${stateDir} (pid ${running.pid})`,
      'connect to it (its endpoints are in lab.json; `anvil-install lab status`), or stop it first',
    );
  }
  const previous = ephemeral ? null : readLabInfo(stateDir);

  const createWorld = opts.createWorld ?? (await loadCreateWorld());
  const saved = loadSavedWorld(stateDir);
  if (saved === undefined && !opts.answers) {
    throw new AnvilError(`no saved lab world in ${stateDir} and no answers to build one from`, 'pass --answers FILE');
  }
  const world = await withKeysAhead(ahead, () =>
    createWorld({
      ...(opts.answers ? { answers: opts.answers } : {}),
      ...(saved !== undefined ? { saved } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    }),
  );
  const names = Object.keys(world.nodes);

  const client = loadOrCreateKeyPair(clientKeyPath(stateDir), 'anvil-lab-client');
  const secrets = opts.answers ? secretValues(opts.answers) : [];
  // NOTE: what a client is answered is saved before the answer (flush in afterExec); what only lab
  // time changed meanwhile can wait a little and be saved with the next change.
  const saver = new WorldSaver(stateDir, world, onError, { idleMs: 200 });
  perf.labSave = saver.stats;
  const journal = new LabJournal(stateDir, secrets);
  let stopped = false;

  const servers: Record<string, LabSshServer> = {};
  const endpoints: Record<string, LabEndpoint> = {};
  const started: LabSshServer[] = [];
  const portFor = (name: string, i: number): { port: number; fixed: boolean } => {
    if (opts.ports?.[name] !== undefined) return { port: opts.ports[name], fixed: true };
    if (opts.portBase !== undefined) return { port: opts.portBase + i, fixed: true };
    return { port: previous?.nodes[name]?.port ?? 0, fixed: false };
  };

  try {
    for (const [i, name] of names.entries()) {
      const node = world.nodes[name];
      const hk = loadOrCreateKeyPair(hostKeyPath(stateDir, name), `root@${name}`);
      const password = opts.answers?.nodes.find((n) => n.name === name)?.ssh.password ?? LAB_DEFAULT_PASSWORD;
      const { port, fixed } = portFor(name, i);
      const srv = await listenPreferring(
        (p) =>
          new LabSshServer({
            name,
            port: p,
            hostKey: hk.privateKey,
            auth: { publicKeys: [client.publicKey], password },
            reachable: () => node.reachable(),
            exec: async (cmd, o) => {
              const t0 = performance.now();
              try {
                return await node.exec(cmd, { stdin: o.stdin, env: o.env, signal: o.signal });
              } finally {
                perf.labExecs++;
                perf.labExecMs += performance.now() - t0;
              }
            },
            afterExec: (cmd, r) => {
              // NOTE: save first, journal second, reply last: a client killed after the reply
              // finds both the effect and the journal line on disk.
              saver.markDirty();
              saver.flush();
              journal.command(name, cmd, r.code);
            },
            sftp: {
              fs: node.fs,
              hooks: {
                changed: (op, path, to) => {
                  saver.markDirty();
                  saver.flush();
                  if (op !== 'truncate' && op !== 'create') journal.file(name, op, path, to);
                },
              },
            },
            shell: { prompt: () => `[root@${name} ~]# ` },
            onError,
          }),
        port,
        fixed,
      );
      started.push(srv);
      servers[name] = srv;
      endpoints[name] = { host: '127.0.0.1', port: srv.port, hostKeyFingerprint: hk.fingerprint };
    }

    const controlKey = loadOrCreateKeyPair(hostKeyPath(stateDir, '_control'), 'anvil-lab-control');
    const statusNow = (): LabStatus => ({
      pid: process.pid,
      stateDir,
      nodes: Object.fromEntries(
        names.map((n) => [
          n,
          {
            port: endpoints[n].port,
            hostKeyFingerprint: endpoints[n].hostKeyFingerprint,
            reachable: world.nodes[n].reachable(),
            connections: servers[n].connections,
          },
        ]),
      ),
      control: { port: controlSrv.port },
    });
    const target = { world, status: () => statusNow(), save: () => saver.saveNow() };
    const controlPort =
      opts.portBase !== undefined
        ? { port: opts.portBase + names.length, fixed: true }
        : { port: previous?.control.port ?? 0, fixed: false };
    const controlSrv: LabSshServer = await listenPreferring(
      (p) =>
        new LabSshServer({
          name: 'control',
          port: p,
          hostKey: controlKey.privateKey,
          auth: { publicKeys: [client.publicKey] },
          exec: (cmd) => runControl(target, cmd),
          // NOTE: an answered `advance` or `fault` is saved before its answer, as a node's command is.
          afterExec: () => saver.flush(),
          onError,
        }),
      controlPort.port,
      controlPort.fixed,
    );
    started.push(controlSrv);
    const control: LabEndpoint = {
      host: '127.0.0.1',
      port: controlSrv.port,
      hostKeyFingerprint: controlKey.fingerprint,
    };

    world.on('change', () => {
      if (!stopped) saver.markDirty();
    });
    world.on('drop-sessions', (n: string) => {
      if (!stopped) servers[n]?.dropSessions();
    });

    world.startClock?.();
    saver.saveNow();
    const info: LabInfo = {
      version: LAB_FILE_VERSION,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      stateDir,
      clientKeyPath: client.path,
      nodes: endpoints,
      control,
      ...(opts.answersFile
        ? { answersFile: isAbsolute(opts.answersFile) ? opts.answersFile : resolve(opts.answersFile) }
        : {}),
    };
    if (!ephemeral) writeLabInfo(stateDir, info);

    const labClock = inProcessController(world).clock;
    const handle: LabHandle = {
      nodes: endpoints,
      control,
      clientKeyPath: client.path,
      stateDir,
      world,
      connectOptions: (node) => labConnectOptions(handle, node),
      // NOTE: reconnects follow lab time: a node rebooting in the lab is back when the lab says so.
      transports: () =>
        Object.fromEntries(
          names.map((n) => [
            n,
            // NOTE: this process's own sessions reach its servers through memory, not loopback TCP: the
            // same SSH, without a system call and an event-loop wake-up per packet (~1 s of a 7 s install).
            new NodeSession({
              ...labSessionOptions(handle, n),
              clock: labClock,
              stream: () => servers[n].connectInProcess(),
            }),
          ]),
        ),
      status: statusNow,
      save: () => saver.saveNow(),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        world.stopClock?.();
        await Promise.all(started.map((s) => s.close()));
        if (ephemeral) {
          rmSync(stateDir, { recursive: true, force: true });
          return;
        }
        try {
          saver.close();
          writeLabInfo(stateDir, { ...info, pid: null, stoppedAt: new Date().toISOString() });
        } finally {
          unlock();
        }
      },
    };
    return handle;
  } catch (e) {
    stopped = true;
    await Promise.all(started.map((s) => s.close()));
    if (ephemeral) rmSync(stateDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Run one command on a node of a lab that is not running: load the saved world (or use `world`,
 * already loaded from the same folder), run the command in-process, save the world and journal the
 * command. For `lab exec` without a serving process.
 */
export async function execOffline(opts: {
  stateDir: string;
  node: string;
  cmd: string;
  stdin?: string;
  answers?: Answers;
  createWorld?: CreateWorld;
  world?: LabWorld;
}) {
  const stateDir = resolve(opts.stateDir);
  const world =
    opts.world ??
    (await loadWorldOffline({
      stateDir,
      ...(opts.answers ? { answers: opts.answers } : {}),
      ...(opts.createWorld ? { createWorld: opts.createWorld } : {}),
    }));
  const node = world.nodes[opts.node];
  if (!node)
    throw new AnvilError(`no lab node named "${opts.node}" (lab nodes: ${Object.keys(world.nodes).join(', ')})`);
  // NOTE: under the lab lock: a lab starting meanwhile would otherwise lose this change (or this one its).
  return withLabLock(stateDir, async () => {
    const r = await node.exec(opts.cmd, { stdin: opts.stdin ?? '' });
    saveWorld(stateDir, world);
    new LabJournal(stateDir, opts.answers ? secretValues(opts.answers) : []).command(opts.node, opts.cmd, r.code);
    return r;
  });
}

/** Restore the saved world of a lab that is not running (answers only needed when nothing was saved). */
export async function loadWorldOffline(opts: {
  stateDir: string;
  answers?: Answers;
  createWorld?: CreateWorld;
}): Promise<LabWorld> {
  const stateDir = resolve(opts.stateDir);
  const saved = loadSavedWorld(stateDir);
  if (saved === undefined && !opts.answers) {
    throw new AnvilError(
      `no lab is running from ${stateDir} and it holds no saved world`,
      'start one: anvil-install lab serve --answers FILE --state DIR',
    );
  }
  const createWorld = opts.createWorld ?? (await loadCreateWorld());
  return createWorld({ ...(opts.answers ? { answers: opts.answers } : {}), ...(saved !== undefined ? { saved } : {}) });
}
