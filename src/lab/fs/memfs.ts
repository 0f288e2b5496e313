/**
 * The in-memory filesystem of a lab node: files, directories, symlinks and device nodes, with modes,
 * owners and mtimes, serializable to plain JSON. It implements the `LabFs` contract (what SFTP needs)
 * plus what the shell's commands need (lstat, symlinks, append, device nodes).
 */
import { createHash } from 'node:crypto';
import type { LabFs, LabStat } from '../types.js';
import { normalize, dirname, basename } from './path.js';

/** Error codes thrown by the filesystem (as `Error` with `code`). */
export type FsCode = 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'ELOOP' | 'EINVAL' | 'EPERM';

const MESSAGES: Record<FsCode, string> = {
  ENOENT: 'No such file or directory',
  EEXIST: 'File exists',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  EINVAL: 'Invalid argument',
  EPERM: 'Operation not permitted',
};

/** An fs error; `.code` is the errno name and `.text` the strerror text coreutils prints. */
export class FsError extends Error {
  readonly text: string;
  constructor(
    public readonly code: FsCode,
    public readonly path: string,
  ) {
    super(`${code}: ${MESSAGES[code]}, '${path}'`);
    this.text = MESSAGES[code];
  }
}

/** strerror text for an error thrown by the filesystem (or the message of any other error). */
export function errText(e: unknown): string {
  return e instanceof FsError ? e.text : e instanceof Error ? e.message : String(e);
}

interface Meta {
  mode: number;
  uid: number;
  gid: number;
  mtime: number; // ms
}
interface FileNode extends Meta {
  t: 'file';
  data: Buffer;
}
interface DirNode extends Meta {
  t: 'dir';
  entries: Map<string, Inode>;
}
interface LinkNode extends Meta {
  t: 'link';
  target: string;
}
interface DevNode extends Meta {
  t: 'dev';
  dev: 'block' | 'char';
  size: number;
}
type Inode = FileNode | DirNode | LinkNode | DevNode;

/** Stat as the commands see it: LabStat plus device kind and nanosecond-ish mtime. */
export interface FullStat extends LabStat {
  /** Set for device nodes (`type` is then 'file'). */
  device?: 'block' | 'char';
  /** mtime in milliseconds. */
  mtimeMs: number;
  /** Symlink target (lstat of a link only). */
  target?: string;
}

/** JSON form of an inode. */
type SavedNode =
  | { t: 'f'; m: number; u: number; g: number; ts: number; d: string; b?: 1 }
  | { t: 'f'; m: number; u: number; g: number; ts: number; x: string }
  | { t: 'd'; m: number; u: number; g: number; ts: number; e: Record<string, SavedNode> }
  | { t: 'l'; m: number; u: number; g: number; ts: number; l: string }
  | { t: 'v'; m: number; u: number; g: number; ts: number; k: 'block' | 'char'; s: number };

/** The simulated filesystem. `now()` supplies lab time (ms) for mtimes. */
export class MemFs implements LabFs {
  private root: DirNode;
  constructor(
    private now: () => number = Date.now,
    saved?: unknown,
  ) {
    this.root = saved
      ? (load(saved as SavedNode) as DirNode)
      : { t: 'dir', entries: new Map(), mode: 0o555, uid: 0, gid: 0, mtime: now() };
  }

  // NOTE: the saved form of each directory is kept until something under it changes, so a snapshot
  // after a command costs the directories that command touched, not the whole tree (issue 18).
  private readonly savedDirs = new WeakMap<DirNode, SavedNode>();

  /**
   * Forget the saved form of every directory on the way to `path` (through symlinks, as `lookup`
   * walks): called before each change, whatever the change turns out to be.
   */
  private dirty(path: string, follow = true, depth = 0): void {
    this.savedDirs.delete(this.root);
    if (depth > 40) return;
    const parts = normalize(path).split('/').filter(Boolean);
    let cur: Inode = this.root;
    let curPath = '';
    for (let i = 0; i < parts.length; i++) {
      if (cur.t !== 'dir') return;
      const next: Inode | undefined = cur.entries.get(parts[i]);
      if (!next) return;
      const last = i === parts.length - 1;
      if (next.t === 'link' && (!last || follow)) {
        const target = next.target.startsWith('/') ? next.target : `${curPath || '/'}/${next.target}`;
        const rest = parts.slice(i + 1).join('/');
        return this.dirty(normalize(rest ? `${target}/${rest}` : target), follow, depth + 1);
      }
      cur = next;
      if (cur.t === 'dir') this.savedDirs.delete(cur);
      curPath += '/' + parts[i];
    }
  }

  /** Walk to a node. `follow`: resolve a symlink in the last component too. */
  private lookup(path: string, follow = true, depth = 0): Inode | null {
    if (depth > 40) throw new FsError('ELOOP', path);
    const parts = normalize(path).split('/').filter(Boolean);
    let cur: Inode = this.root;
    let curPath = '';
    for (let i = 0; i < parts.length; i++) {
      if (cur.t !== 'dir') throw new FsError('ENOTDIR', path);
      const next: Inode | undefined = cur.entries.get(parts[i]);
      if (!next) return null;
      const last = i === parts.length - 1;
      if (next.t === 'link' && (!last || follow)) {
        const target = next.target.startsWith('/') ? next.target : `${curPath || '/'}/${next.target}`;
        const rest = parts.slice(i + 1).join('/');
        return this.lookup(normalize(rest ? `${target}/${rest}` : target), follow, depth + 1);
      }
      cur = next;
      curPath += '/' + parts[i];
    }
    return cur;
  }

  /** The directory that holds `path` (after resolving symlinks of the parents) and the entry name. */
  private parentOf(path: string): { dir: DirNode; name: string } {
    const p = normalize(path);
    if (p === '/') throw new FsError('EEXIST', path);
    const d = this.lookup(dirname(p));
    if (!d) throw new FsError('ENOENT', path);
    if (d.t !== 'dir') throw new FsError('ENOTDIR', path);
    return { dir: d, name: basename(p) };
  }

  /** Canonical path with every symlink resolved (the object must exist). */
  realpath(path: string): string {
    const parts = normalize(path).split('/').filter(Boolean);
    let out = '';
    for (let i = 0; i < parts.length; i++) {
      const candidate = `${out}/${parts[i]}`;
      const n = this.lookup(candidate, false);
      if (!n) throw new FsError('ENOENT', path);
      if (n.t === 'link') {
        const t = n.target.startsWith('/') ? n.target : `${out || '/'}/${n.target}`;
        const rest = parts.slice(i + 1).join('/');
        return this.realpath(normalize(rest ? `${t}/${rest}` : t));
      }
      out = candidate;
    }
    return out || '/';
  }

  private toStat(n: Inode): FullStat {
    const base = { mode: n.mode, uid: n.uid, gid: n.gid, mtime: Math.floor(n.mtime / 1000), mtimeMs: n.mtime };
    switch (n.t) {
      case 'file':
        return { ...base, type: 'file', size: n.data.length };
      case 'dir':
        return { ...base, type: 'dir', size: 4096 };
      case 'link':
        return { ...base, type: 'link', size: n.target.length, target: n.target };
      case 'dev':
        return { ...base, type: 'file', size: n.size, device: n.dev };
    }
  }

  /** Stat following symlinks; null when absent. */
  stat(path: string): FullStat | null {
    try {
      const n = this.lookup(path);
      return n ? this.toStat(n) : null;
    } catch {
      return null;
    }
  }

  /** Stat without following a final symlink; null when absent. */
  lstat(path: string): FullStat | null {
    try {
      const n = this.lookup(path, false);
      return n ? this.toStat(n) : null;
    } catch {
      return null;
    }
  }

  /** Whether anything (even a dangling link) exists at `path`. */
  exists(path: string): boolean {
    return this.lstat(path) !== null;
  }

  readFile(path: string): Buffer {
    const n = this.lookup(path);
    if (!n) throw new FsError('ENOENT', path);
    if (n.t === 'dir') throw new FsError('EISDIR', path);
    if (n.t === 'dev') return Buffer.alloc(0);
    return Buffer.from((n as FileNode).data);
  }

  /** Read as UTF-8 text. */
  readText(path: string): string {
    return this.readFile(path).toString('utf8');
  }

  writeFile(path: string, data: Buffer | string, mode?: number): void {
    this.dirty(path);
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    const existing = this.lookup(path);
    if (existing) {
      if (existing.t === 'dir') throw new FsError('EISDIR', path);
      if (existing.t === 'dev') return; // NOTE: writes to /dev/null and block devices are swallowed
      const f = existing as FileNode;
      f.data = buf;
      f.mtime = this.now();
      if (mode !== undefined) f.mode = mode & 0o7777;
      return;
    }
    // NOTE: writing through a dangling symlink creates its target, as the kernel does.
    const l = this.lookup(path, false);
    if (l && l.t === 'link') return this.writeFile(this.linkTarget(path, l.target), buf, mode);
    const { dir, name } = this.parentOf(path);
    dir.entries.set(name, { t: 'file', data: buf, mode: (mode ?? 0o644) & 0o7777, uid: 0, gid: 0, mtime: this.now() });
    dir.mtime = this.now();
  }

  private linkTarget(path: string, target: string): string {
    return target.startsWith('/') ? target : normalize(`${dirname(normalize(path))}/${target}`);
  }

  /** Append to a file, creating it. */
  appendFile(path: string, data: Buffer | string): void {
    const n = this.lookup(path);
    if (n && n.t === 'dev') return;
    const old = n ? this.readFile(path) : Buffer.alloc(0);
    this.writeFile(path, Buffer.concat([old, typeof data === 'string' ? Buffer.from(data) : data]));
  }

  mkdir(path: string, mode = 0o755): void {
    this.dirty(path);
    const { dir, name } = this.parentOf(path);
    if (dir.entries.has(name)) throw new FsError('EEXIST', path);
    dir.entries.set(name, { t: 'dir', entries: new Map(), mode: mode & 0o7777, uid: 0, gid: 0, mtime: this.now() });
    dir.mtime = this.now();
  }

  /** mkdir -p: create every missing directory; EEXIST/ENOTDIR when a non-directory is in the way. */
  mkdirp(path: string, mode = 0o755): void {
    let p = '';
    for (const part of normalize(path).split('/').filter(Boolean)) {
      p += '/' + part;
      const n = this.lookup(p);
      if (!n) this.mkdir(p, mode);
      else if (n.t !== 'dir') throw new FsError(p === normalize(path) ? 'EEXIST' : 'ENOTDIR', path);
    }
  }

  readdir(path: string): string[] {
    const n = this.lookup(path);
    if (!n) throw new FsError('ENOENT', path);
    if (n.t !== 'dir') throw new FsError('ENOTDIR', path);
    return [...n.entries.keys()].sort();
  }

  rename(from: string, to: string): void {
    this.dirty(from, false);
    this.dirty(to, false);
    const src = this.parentOf(from);
    const node = src.dir.entries.get(src.name);
    if (!node) throw new FsError('ENOENT', from);
    const dst = this.parentOf(to);
    const existing = dst.dir.entries.get(dst.name);
    if (existing) {
      if (existing.t === 'dir' && node.t !== 'dir') throw new FsError('EISDIR', to);
      if (existing.t !== 'dir' && node.t === 'dir') throw new FsError('ENOTDIR', to);
      if (existing.t === 'dir' && existing.entries.size) throw new FsError('ENOTEMPTY', to);
    }
    if (node.t === 'dir' && (normalize(to) + '/').startsWith(normalize(from) + '/')) throw new FsError('EINVAL', to);
    src.dir.entries.delete(src.name);
    dst.dir.entries.set(dst.name, node);
    src.dir.mtime = dst.dir.mtime = this.now();
  }

  unlink(path: string): void {
    this.dirty(path, false);
    const { dir, name } = this.parentOf(path);
    const n = dir.entries.get(name);
    if (!n) throw new FsError('ENOENT', path);
    if (n.t === 'dir') throw new FsError('EISDIR', path);
    dir.entries.delete(name);
    dir.mtime = this.now();
  }

  rmdir(path: string): void {
    this.dirty(path, false);
    const { dir, name } = this.parentOf(path);
    const n = dir.entries.get(name);
    if (!n) throw new FsError('ENOENT', path);
    if (n.t !== 'dir') throw new FsError('ENOTDIR', path);
    if (n.entries.size) throw new FsError('ENOTEMPTY', path);
    dir.entries.delete(name);
    dir.mtime = this.now();
  }

  /** rm -r: remove a tree (or a single non-directory). */
  removeTree(path: string): void {
    this.dirty(path, false);
    const { dir, name } = this.parentOf(path);
    if (!dir.entries.has(name)) throw new FsError('ENOENT', path);
    dir.entries.delete(name);
    dir.mtime = this.now();
  }

  chmod(path: string, mode: number): void {
    this.dirty(path);
    const n = this.lookup(path);
    if (!n) throw new FsError('ENOENT', path);
    n.mode = mode & 0o7777;
  }

  /** Change owner/group (numeric ids; undefined keeps the current one). */
  chown(path: string, uid?: number, gid?: number): void {
    this.dirty(path);
    const n = this.lookup(path);
    if (!n) throw new FsError('ENOENT', path);
    if (uid !== undefined) n.uid = uid;
    if (gid !== undefined) n.gid = gid;
  }

  /** Set the mtime (ms); used by `touch` and `cp -p`. */
  utimes(path: string, mtimeMs: number): void {
    this.dirty(path);
    const n = this.lookup(path);
    if (!n) throw new FsError('ENOENT', path);
    n.mtime = mtimeMs;
  }

  /** Create a symlink at `path` pointing to `target`. */
  symlink(target: string, path: string): void {
    this.dirty(path, false);
    const { dir, name } = this.parentOf(path);
    if (dir.entries.has(name)) throw new FsError('EEXIST', path);
    dir.entries.set(name, { t: 'link', target, mode: 0o777, uid: 0, gid: 0, mtime: this.now() });
  }

  /** The target of a symlink. */
  readlink(path: string): string {
    const n = this.lookup(path, false);
    if (!n) throw new FsError('ENOENT', path);
    if (n.t !== 'link') throw new FsError('EINVAL', path);
    return n.target;
  }

  /** Create a device node (block devices answer `test -b`; reads are empty, writes swallowed). */
  mknod(path: string, dev: 'block' | 'char', size = 0, mode = 0o660): void {
    this.dirty(path, false);
    const { dir, name } = this.parentOf(path);
    dir.entries.set(name, { t: 'dev', dev, size, mode, uid: 0, gid: 6, mtime: this.now() });
  }

  /** Plain-JSON snapshot of the whole tree. */
  toJSON(): unknown {
    return save(this.root, this.savedDirs);
  }
}

/** Binary files from this size on are saved as blobs (see {@link blobContent}), not inline in world.json. */
export const BLOB_MIN_BYTES = 64 * 1024;
/**
 * Text files from this size on are saved as blobs. NOTE: larger than for binary files: a text file
 * that grows (/var/log/messages) stays inline, so a save logs the lines appended, not a new blob.
 */
export const BLOB_MIN_TEXT_BYTES = 1024 * 1024;

// NOTE: a file's content is an immutable Buffer, replaced on every write: its encoding is computed
// once per content, not once per save (a 50 MB upload must not cost every later command).
const encoded = new WeakMap<Buffer, { d: string; b?: 1 } | { x: string }>();
// NOTE: weak, so a blob's content lives as long as a file holds it; a saved form kept by a directory's
// cache names the blob long after its first snapshot, and the saver may need it then (a new folder).
const blobs = new Map<string, WeakRef<Buffer>>();

/** Content id of a blob: sha256, hex. */
export function blobId(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The content of a blob named by a snapshot, while a file still holds it (for the saver to write
 * beside world.json); undefined once no file holds that content any more.
 */
export function blobContent(id: string): Buffer | undefined {
  const b = blobs.get(id)?.deref();
  if (!b) blobs.delete(id);
  return b;
}

function encode(data: Buffer): { d: string; b?: 1 } | { x: string } {
  let e = encoded.get(data);
  if (!e) {
    if (data.length >= BLOB_MIN_TEXT_BYTES) e = { x: blobId(data) };
    else {
      const s = data.toString('utf8');
      if (Buffer.from(s, 'utf8').equals(data)) e = { d: s };
      else if (data.length >= BLOB_MIN_BYTES) e = { x: blobId(data) };
      else e = { d: data.toString('base64'), b: 1 };
    }
    encoded.set(data, e);
  }
  if ('x' in e && blobs.get(e.x)?.deref() !== data) blobs.set(e.x, new WeakRef(data));
  return e;
}

function save(n: Inode, cache: WeakMap<DirNode, SavedNode>): SavedNode {
  const m = { m: n.mode, u: n.uid, g: n.gid, ts: n.mtime };
  switch (n.t) {
    case 'file':
      return { t: 'f', ...m, ...encode(n.data) };
    case 'dir': {
      let out = cache.get(n);
      if (!out) {
        out = { t: 'd', ...m, e: Object.fromEntries([...n.entries].map(([k, v]) => [k, save(v, cache)])) };
        cache.set(n, out);
      }
      return out;
    }
    case 'link':
      return { t: 'l', ...m, l: n.target };
    case 'dev':
      return { t: 'v', ...m, k: n.dev, s: n.size };
  }
}

function load(s: SavedNode): Inode {
  const m = { mode: s.m, uid: s.u, gid: s.g, mtime: s.ts };
  switch (s.t) {
    case 'f':
      if ('x' in s) throw new Error(`blob ${s.x} was not resolved before loading (store/persist.ts inlines blobs)`);
      return { t: 'file', ...m, data: Buffer.from(s.d, s.b ? 'base64' : 'utf8') };
    case 'd':
      return { t: 'dir', ...m, entries: new Map(Object.entries(s.e).map(([k, v]) => [k, load(v)])) };
    case 'l':
      return { t: 'link', ...m, target: s.l };
    case 'v':
      return { t: 'dev', ...m, dev: s.k, size: s.s };
  }
}
