/**
 * What the lab keeps on disk under its state folder:
 *
 * ```
 * <stateDir>/world.json            the whole simulated world (LabWorld.toJSON()), rewritten atomically
 * <stateDir>/blobs/<sha256>        content of the large files of the nodes' filesystems (written once)
 * <stateDir>/lab.json              ports, host-key fingerprints, client key path, pid of the serving process
 * <stateDir>/client_key[.pub]      the lab's client key pair (ed25519, OpenSSH format)
 * <stateDir>/hostkeys/<node>[.pub] one host key per node (and `_control` for the control port)
 * <stateDir>/journal/<node>.jsonl  every command run on the node (see journal.ts)
 * ```
 *
 * Everything is created once and reused, so host-key fingerprints survive restarts.
 */
import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { AnvilError } from '../errors.js';
import type { LabWorld } from './types.js';
import { generateEd25519 } from '../remote/ed25519.js';
import { fingerprint } from '../remote/host-keys.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { savedBlobs } from './fs/memfs.js';

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
  if (parsed instanceof Error)
    throw new AnvilError(
      `cannot parse lab key ${path}: ${parsed.message}`,
      'delete the file to have a new key generated',
    );
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
    throw new AnvilError(
      `${p} is not valid JSON: ${(e as Error).message}`,
      'move it aside to start the lab with a fresh world',
    );
  }
  if (env.version !== LAB_FILE_VERSION)
    throw new AnvilError(
      `${p}: unsupported lab world version ${String(env.version)}`,
      'move it aside to start the lab with a fresh world',
    );
  inlineBlobs(stateDir, env.world);
  return env.world;
}

/** Folder of the large files' contents. */
export function blobsPath(stateDir: string): string {
  return join(stateDir, 'blobs');
}

const isFileRef = (v: unknown): v is { t: 'f'; x: string } =>
  !!v && typeof v === 'object' && (v as { t?: unknown }).t === 'f' && typeof (v as { x?: unknown }).x === 'string';

/** Every blob id a saved world refers to (walks the tree, not the contents). */
function blobRefs(v: unknown, out: Set<string> = new Set(), depth = 0): Set<string> {
  if (!v || typeof v !== 'object' || depth > 200) return out;
  if (isFileRef(v)) out.add(v.x);
  else for (const x of Object.values(v as Record<string, unknown>)) blobRefs(x, out, depth + 1);
  return out;
}

/** Put each blob's content back into its file node (base64), for the world to load. */
function inlineBlobs(stateDir: string, v: unknown, depth = 0): void {
  if (!v || typeof v !== 'object' || depth > 200) return;
  if (isFileRef(v)) {
    const f = join(blobsPath(stateDir), v.x);
    let data: Buffer;
    try {
      data = readFileSync(f);
    } catch {
      throw new AnvilError(
        `${worldPath(stateDir)} refers to ${f}, which is missing`,
        'restore the blobs folder, or move world.json aside to start the lab with a fresh world',
      );
    }
    const node = v as unknown as Record<string, unknown>;
    delete node.x;
    node.d = data.toString('base64');
    node.b = 1;
    return;
  }
  for (const x of Object.values(v as Record<string, unknown>)) inlineBlobs(stateDir, x, depth + 1);
}

/**
 * Save the world now (atomically). NOTE: large file contents go to `blobs/<sha256>` once, before
 * the world.json that names them; world.json itself stays small, so a save costs the same after a
 * 50 MB upload as before it. Returns the blob ids the saved world refers to.
 */
export function saveWorld(stateDir: string, world: LabWorld): Set<string> {
  const snapshot = world.toJSON();
  const fresh = savedBlobs();
  const refs = blobRefs(snapshot);
  for (const id of refs) {
    const f = join(blobsPath(stateDir), id);
    if (existsSync(f)) continue;
    const data = fresh.get(id);
    if (!data) throw new AnvilError(`lab: the content of blob ${id} is not at hand to save`);
    writeFileAtomic(f, data, 0o600);
  }
  const env = { version: LAB_FILE_VERSION, savedAt: new Date().toISOString(), world: snapshot };
  writeFileAtomic(worldPath(stateDir), JSON.stringify(env), 0o600);
  return refs;
}

/** Remove blobs no saved world refers to any more (files overwritten or deleted). */
export function pruneBlobs(stateDir: string, keep: Set<string>): void {
  let names: string[];
  try {
    names = readdirSync(blobsPath(stateDir));
  } catch {
    return;
  }
  for (const n of names) if (/^[0-9a-f]{64}$/.test(n) && !keep.has(n)) unlinkSync(join(blobsPath(stateDir), n));
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
    this.lastRefs = saveWorld(this.stateDir, this.world);
    this.saves++;
  }

  /** Save regardless of the dirty flag. */
  saveNow(): void {
    this.dirty = false;
    this.lastRefs = saveWorld(this.stateDir, this.world);
    this.saves++;
  }

  /** Final save; later changes are ignored. Blobs the final world no longer names are removed. */
  close(): void {
    if (this.closed) return;
    this.saveNow();
    this.closed = true;
    if (this.lastRefs) pruneBlobs(this.stateDir, this.lastRefs);
  }

  private lastRefs: Set<string> | undefined;
}
