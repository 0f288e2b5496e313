/**
 * What the lab keeps on disk under its state folder:
 *
 * ```
 * <stateDir>/world.json            the whole simulated world (LabWorld.toJSON()), rewritten atomically
 * <stateDir>/lab.json              ports, host-key fingerprints, client key path, pid of the serving process
 * <stateDir>/client_key[.pub]      the lab's client key pair (ed25519, OpenSSH format)
 * <stateDir>/hostkeys/<node>[.pub] one host key per node (and `_control` for the control port)
 * <stateDir>/journal/<node>.jsonl  every command run on the node (see journal.ts)
 * ```
 *
 * Everything is created once and reused, so host-key fingerprints survive restarts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { AnvilError } from '../errors.js';
import type { LabWorld } from './types.js';
import { generateEd25519 } from '../remote/ed25519.js';
import { fingerprint } from '../remote/host-keys.js';
import { writeFileAtomic } from '../util/atomic-write.js';

// NOTE: ssh2 is CommonJS whose exports Node cannot name statically; take them off the default export.
const { utils } = ssh2;

/** Version of the `lab.json` and `world.json` envelopes. */
export const LAB_FILE_VERSION = 1;

/** A key pair on disk. */
export interface LabKeyPair {
  /** Path of the private key (the public one is `<path>.pub`). */
  path: string;
  /** Private key, OpenSSH format. */
  privateKey: string;
  /** Public key line (`ssh-ed25519 AAAA... comment`). */
  publicKey: string;
  /** SHA256 fingerprint of the public key. */
  fingerprint: string;
}

/** Read a key pair written by {@link loadOrCreateKeyPair}, or create it (ed25519) when absent. */
export function loadOrCreateKeyPair(path: string, comment: string): LabKeyPair {
  if (!existsSync(path)) {
    const kp = generateEd25519(comment);
    writeFileAtomic(path, kp.private, 0o600);
    writeFileAtomic(`${path}.pub`, `${kp.public.trim()}\n`, 0o644);
  }
  const privateKey = readFileSync(path, 'utf8');
  const parsed = utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new AnvilError(`cannot parse lab key ${path}: ${parsed.message}`, 'delete the file to have a new key generated');
  const key = Array.isArray(parsed) ? parsed[0]! : parsed;
  const blob = key.getPublicSSH();
  const publicKey = `${key.type} ${blob.toString('base64')} ${comment}`;
  // NOTE: rewrite a lost .pub from the private key rather than failing.
  if (!existsSync(`${path}.pub`)) writeFileAtomic(`${path}.pub`, `${publicKey}\n`, 0o644);
  return { path, privateKey, publicKey, fingerprint: fingerprint(blob) };
}

/** Where the lab's client key lives. */
export function clientKeyPath(stateDir: string): string {
  return join(stateDir, 'client_key');
}

/** Where a node's host key lives. */
export function hostKeyPath(stateDir: string, node: string): string {
  return join(stateDir, 'hostkeys', node);
}

/** Path of the saved world. */
export function worldPath(stateDir: string): string {
  return join(stateDir, 'world.json');
}

/** Path of the running-lab description. */
export function labInfoPath(stateDir: string): string {
  return join(stateDir, 'lab.json');
}

/** One SSH endpoint of the lab. */
export interface LabEndpoint {
  host: '127.0.0.1';
  port: number;
  hostKeyFingerprint: string;
}

/** Contents of `<stateDir>/lab.json`: how a separately started wizard finds a running lab. */
export interface LabInfo {
  version: number;
  /** Pid of the process serving the lab; null once it stopped cleanly. */
  pid: number | null;
  startedAt: string;
  stoppedAt?: string;
  stateDir: string;
  clientKeyPath: string;
  nodes: Record<string, LabEndpoint>;
  /** The control port (status, faults); accepts only the lab client key. */
  control: LabEndpoint;
  /** Absolute path of the answers file the lab was started from, when known (never its contents). */
  answersFile?: string;
}

/** Read `lab.json`; null when absent. */
export function readLabInfo(stateDir: string): LabInfo | null {
  const p = labInfoPath(stateDir);
  if (!existsSync(p)) return null;
  try {
    const info = JSON.parse(readFileSync(p, 'utf8')) as LabInfo;
    if (info.version !== LAB_FILE_VERSION || !info.nodes || !info.control) return null;
    return info;
  } catch {
    // NOTE: an unreadable lab.json only means "no running lab we can find"; it is rewritten on start.
    return null;
  }
}

/** Write `lab.json` atomically. */
export function writeLabInfo(stateDir: string, info: LabInfo): void {
  writeFileAtomic(labInfoPath(stateDir), `${JSON.stringify(info, null, 2)}\n`, 0o600);
}

/** The saved world, or undefined when none was saved yet. */
export function loadSavedWorld(stateDir: string): unknown {
  const p = worldPath(stateDir);
  if (!existsSync(p)) return undefined;
  let env: { version?: number; savedAt?: string; world?: unknown };
  try {
    env = JSON.parse(readFileSync(p, 'utf8')) as typeof env;
  } catch (e) {
    throw new AnvilError(`${p} is not valid JSON: ${(e as Error).message}`, 'move it aside to start the lab with a fresh world');
  }
  if (env.version !== LAB_FILE_VERSION) throw new AnvilError(`${p}: unsupported lab world version ${String(env.version)}`, 'move it aside to start the lab with a fresh world');
  return env.world;
}

/** Save the world now (atomically). */
export function saveWorld(stateDir: string, world: LabWorld): void {
  const env = { version: LAB_FILE_VERSION, savedAt: new Date().toISOString(), world: world.toJSON() };
  writeFileAtomic(worldPath(stateDir), JSON.stringify(env), 0o600);
}

/**
 * Keeps `world.json` in step with the world: changes are coalesced into one save per event-loop
 * turn, and `flush()` saves synchronously when something changed (called before every exec reply,
 * so a client killed right after a command still finds its effect on disk).
 */
export class WorldSaver {
  private dirty = false;
  private scheduled = false;
  private closed = false;
  /** Number of saves written (tests, diagnostics). */
  saves = 0;

  constructor(
    private readonly stateDir: string,
    private readonly world: LabWorld,
    private readonly onError: (e: unknown) => void = () => {},
  ) {}

  /** Something changed: save soon. */
  markDirty(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.flush();
      } catch (e) {
        this.onError(e);
      }
    });
  }

  /** Save now if anything changed since the last save. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    saveWorld(this.stateDir, this.world);
    this.saves++;
  }

  /** Save regardless of the dirty flag. */
  saveNow(): void {
    this.dirty = false;
    saveWorld(this.stateDir, this.world);
    this.saves++;
  }

  /** Final save; later changes are ignored. */
  close(): void {
    if (this.closed) return;
    this.saveNow();
    this.closed = true;
  }
}
