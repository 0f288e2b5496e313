/**
 * What the lab keeps on disk under its state folder:
 *
 * ```
 * <stateDir>/world.json            the whole simulated world (LabWorld.toJSON()) as of the last compaction
 * <stateDir>/world.log             what changed since: one JSON line per save, appended (see WorldSaver)
 * <stateDir>/blobs/<sha256>        content of the large files of the nodes' filesystems (written once)
 * <stateDir>/lab.json              ports, host-key fingerprints, client key path, pid of the serving process
 * <stateDir>/client_key[.pub]      the lab's client key pair (ed25519, OpenSSH format)
 * <stateDir>/hostkeys/<node>[.pub] one host key per node (and `_control` for the control port)
 * <stateDir>/journal/<node>.jsonl  every command run on the node (see journal.ts)
 * ```
 *
 * Everything is created once and reused, so host-key fingerprints survive restarts.
 *
 * NOTE: the world's files are written without fsync: a SIGKILL of the lab loses nothing (every line
 * is in the page cache before the command's reply), a power cut of the host may lose the lab's world.
 * The installer's own state.json is the real record and keeps fsync + rename.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';
import { AnvilError } from '../../errors.js';
import type { LabWorld } from '../types.js';
import { generateEd25519 } from '../../remote/ed25519.js';
import { fingerprint } from '../../remote/host-keys.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { blobContent } from '../fs/memfs.js';

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
  const keys: ParsedKey[] = Array.isArray(parsed) ? (parsed as ParsedKey[]) : [parsed];
  const key = keys[0];
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

/** Path of the saved world (as of the last compaction; see {@link worldLogPath}). */
export function worldPath(stateDir: string): string {
  return join(stateDir, 'world.json');
}

/** Path of the log of the world's changes since world.json was written. */
export function worldLogPath(stateDir: string): string {
  return join(stateDir, 'world.log');
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

/** The saved world (world.json with the changes of world.log applied), or undefined when none was saved yet. */
export function loadSavedWorld(stateDir: string): unknown {
  const p = worldPath(stateDir);
  if (!existsSync(p)) return undefined;
  let env: { version?: number; savedAt?: string; id?: string; world?: unknown };
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
  const world = env.world;
  if (env.id !== undefined) for (const rec of readLog(stateDir, env.id)) applyChanges(world, rec);
  inlineBlobs(stateDir, world);
  return world;
}

/**
 * The change records of world.log that follow the world.json named `id` (none when the log follows
 * another world.json: a compaction was killed between its two renames). A torn last line (a save
 * killed mid-write, never acknowledged) is dropped; a torn line before the last is an error.
 */
function readLog(stateDir: string, id: string): Change[][] {
  const p = worldLogPath(stateDir);
  let text: string;
  try {
    text = readFileSync(p, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  const out: Change[][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]) continue;
    let rec: { base?: string; c?: Change[] };
    try {
      rec = JSON.parse(lines[i]) as typeof rec;
    } catch (e) {
      if (lines.slice(i + 1).every((l) => !l)) break;
      throw new AnvilError(
        `${p} line ${i + 1} is not valid JSON: ${(e as Error).message}`,
        'move world.log aside to start the lab from world.json (the changes since its last compaction are lost)',
      );
    }
    if (i === 0) {
      if (rec.base !== id) return [];
      continue;
    }
    if (rec.c) out.push(rec.c);
  }
  return out;
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

/** Write the blob files `refs` names that are not on disk yet (before anything that names them). */
function writeBlobs(stateDir: string, refs: Iterable<string>): void {
  for (const id of refs) {
    const f = join(blobsPath(stateDir), id);
    if (existsSync(f)) continue;
    const data = blobContent(id);
    if (!data) throw new AnvilError(`lab: the content of blob ${id} is not at hand to save`);
    writeFileAtomic(f, data, 0o600, { durable: false });
  }
}

/**
 * One change of a saved world: `p` the path of keys from the root; `v` the new value (absent: the key
 * is deleted); `a` text appended to the string at `p` (a growing log file, e.g. /var/log/messages).
 */
export type Change = { p: (string | number)[]; v?: unknown; a?: string };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * What changed from snapshot `a` to snapshot `b`, as {@link Change}s. NOTE: parts a snapshot reuses
 * (a directory of a node's filesystem that nothing touched) are the same objects, so they cost one
 * comparison, not a walk.
 */
export function diffSnapshots(a: unknown, b: unknown, path: (string | number)[] = [], out: Change[] = []): Change[] {
  diffInto(a, b, [...path], out);
  return out;
}

// NOTE: one path stack for the whole walk, copied only for a change: the walk allocates nothing per key.
function diffInto(a: unknown, b: unknown, path: (string | number)[], out: Change[]): void {
  if (a === b) return;
  if (isObj(a) && isObj(b)) {
    for (const k in b) {
      path.push(k);
      if (!Object.hasOwn(a, k)) out.push({ p: [...path], v: b[k] });
      else diffInto(a[k], b[k], path, out);
      path.pop();
    }
    for (const k in a) if (!Object.hasOwn(b, k)) out.push({ p: [...path, k] });
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    for (let i = 0; i < b.length; i++) {
      path.push(i);
      diffInto(a[i], b[i], path, out);
      path.pop();
    }
    return;
  }
  if (typeof a === 'string' && typeof b === 'string' && a.length >= 256 && b.length > a.length && b.startsWith(a)) {
    out.push({ p: [...path], a: b.slice(a.length) });
    return;
  }
  // NOTE: JSON-equal primitives make no change.
  if (typeof b !== 'object' || b === null) {
    if (a !== b) out.push({ p: [...path], v: b });
    return;
  }
  out.push({ p: [...path], v: b });
}

/** Apply changes made by {@link diffSnapshots} to a parsed snapshot, in place. */
export function applyChanges(root: unknown, changes: Change[]): void {
  for (const c of changes) {
    if (!c.p.length) throw new AnvilError('lab: a change of world.log replaces the whole world');
    let cur = root as Json;
    for (const k of c.p.slice(0, -1)) {
      const next = cur[k as string];
      if (!next || typeof next !== 'object')
        throw new AnvilError(`lab: world.log changes ${c.p.join('.')}, which the saved world does not hold`);
      cur = next as Json;
    }
    const last = c.p[c.p.length - 1] as string;
    // NOTE: defineProperty, so a file named __proto__ is a key like any other.
    const set = (v: unknown) =>
      Object.defineProperty(cur, last, { value: v, enumerable: true, writable: true, configurable: true });
    if (c.a !== undefined) set(String(cur[last]) + c.a);
    else if ('v' in c) set(c.v);
    else if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  }
}

/**
 * Save the whole world now: world.json written atomically (without fsync: see the top of this file),
 * and a fresh world.log that follows it. NOTE: large file contents go to `blobs/<sha256>` once, before
 * the world.json that names them. Returns the blob ids the saved world refers to.
 */
export function saveWorld(stateDir: string, world: LabWorld): Set<string> {
  return compact(stateDir, world.toJSON());
}

function compact(stateDir: string, snapshot: unknown): Set<string> {
  const refs = blobRefs(snapshot);
  writeBlobs(stateDir, refs);
  const id = randomBytes(8).toString('hex');
  const env = { version: LAB_FILE_VERSION, savedAt: new Date().toISOString(), id, world: snapshot };
  writeFileAtomic(worldPath(stateDir), JSON.stringify(env), 0o600, { durable: false });
  // NOTE: killed here, world.log still names the old world.json and is ignored at the next load.
  writeFileAtomic(worldLogPath(stateDir), `${JSON.stringify({ base: id })}\n`, 0o600, { durable: false });
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

/** Options of a {@link WorldSaver}. */
export interface SaverOptions {
  /** world.log size from which a save compacts (default 8 MiB). */
  compactBytes?: number;
  /**
   * How long a change nobody was told about (lab time passing, a timer firing) may wait for its save;
   * default 0: the next turn of the event loop. What a client is answered is saved before the answer
   * whatever this says (`flush`).
   */
  idleMs?: number;
}

/** Figures of a {@link WorldSaver} (bench, tests). */
export interface SaverStats {
  /** Saves that found a change (log records plus compactions). */
  saves: number;
  /** Whole-world writes (world.json). */
  compactions: number;
  /** Bytes appended to world.log. */
  logBytes: number;
  /** Bytes of world.json written. */
  compactBytes: number;
  /** Time spent saving (snapshot, diff, writes), ms. */
  ms: number;
}

/**
 * Keeps the saved world in step with the world: changes are coalesced into one save per event-loop
 * turn, and `flush()` saves synchronously when something changed (called before every exec reply,
 * so a client killed right after a command still finds its effect on disk). A save appends what
 * changed since the last one to world.log in one write(2) (no fsync); once the log outgrows
 * `compactBytes` the whole world is written to world.json and the log starts afresh.
 *
 * NOTE: what changed is found by comparing the last snapshot with the new one, and an object found
 * in both is taken as unchanged: every `toJSON()` of the world must return copies, never its live
 * state (MemFs reuses a directory's saved form only until something under it changes).
 */
export class WorldSaver {
  private dirty = false;
  private scheduled = false;
  private closed = false;
  private last: unknown;
  private fd: number | null = null;
  private logSize = 0;
  private lastRefs: Set<string> | undefined;
  /** Number of saves written (tests, diagnostics). */
  saves = 0;
  /** What saving cost so far. */
  readonly stats: SaverStats = { saves: 0, compactions: 0, logBytes: 0, compactBytes: 0, ms: 0 };

  private readonly compactBytes: number;
  private readonly idleMs: number;

  constructor(
    private readonly stateDir: string,
    private readonly world: LabWorld,
    private readonly onError: (e: unknown) => void = () => {},
    opts: SaverOptions = {},
  ) {
    this.compactBytes = opts.compactBytes ?? 8 * 1024 * 1024;
    this.idleMs = opts.idleMs ?? 0;
  }

  /** Something changed: save soon (at the next turn of the event loop, or after `idleMs`). */
  markDirty(): void {
    if (this.closed) return;
    this.dirty = true;
    if (this.scheduled) return;
    this.scheduled = true;
    const later = () => {
      this.scheduled = false;
      try {
        this.flush();
      } catch (e) {
        this.onError(e);
      }
    };
    if (this.idleMs > 0) setTimeout(later, this.idleMs).unref();
    else setImmediate(later);
  }

  /** Save now if anything changed since the last save. */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.save(false);
  }

  /** Save the whole world (world.json) regardless of the dirty flag. */
  saveNow(): void {
    this.dirty = false;
    this.save(true);
  }

  /** Final save (the whole world); later changes are ignored. Blobs the final world no longer names are removed. */
  close(): void {
    if (this.closed) return;
    this.saveNow();
    this.closed = true;
    this.closeLog();
    if (this.lastRefs) pruneBlobs(this.stateDir, this.lastRefs);
  }

  private save(whole: boolean): void {
    // NOTE: wall time only: a process.cpuUsage() pair per save (getrusage) cost 0.45 s of a 9 s install.
    const t0 = performance.now();
    try {
      const snap = this.world.toJSON();
      if (whole || this.last === undefined || this.fd === null || this.logSize >= this.compactBytes) {
        this.closeLog();
        this.lastRefs = compact(this.stateDir, snap);
        this.stats.compactions++;
        this.stats.compactBytes += statSize(worldPath(this.stateDir));
        this.openLog();
      } else {
        const changes = diffSnapshots(this.last, snap);
        if (!changes.length) {
          this.last = snap;
          return;
        }
        const refs = new Set<string>();
        for (const c of changes) {
          if ('v' in c) blobRefs(c.v, refs);
          // NOTE: a file whose content moved to another blob changes only its `x`: the file is the parent.
          const parent = valueAt(snap, c.p.slice(0, -1));
          if (isFileRef(parent)) refs.add(parent.x);
        }
        writeBlobs(this.stateDir, refs);
        const line = Buffer.from(`${JSON.stringify({ c: changes })}\n`);
        writeAll(this.fd, line);
        this.logSize += line.length;
        this.stats.logBytes += line.length;
      }
      this.last = snap;
      this.saves++;
      this.stats.saves++;
    } finally {
      this.stats.ms += performance.now() - t0;
    }
  }

  private openLog(): void {
    // NOTE: O_APPEND, one write(2) per save: a kill leaves whole lines, or a torn last one never acknowledged.
    this.fd = openSync(
      worldLogPath(this.stateDir),
      constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW,
      0o600,
    );
    this.logSize = fstatSync(this.fd).size;
  }

  private closeLog(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** The value at `path` in a snapshot (undefined when the path leads nowhere). */
function valueAt(root: unknown, path: (string | number)[]): unknown {
  let cur = root;
  for (const k of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[k as string];
  }
  return cur;
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
}

function statSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}
