/**
 * A node's filesystem: the persistent MemFs plus a virtual `/proc` whose files are generated from the
 * node's live state (bonding status, sysrq trigger, ...). Nothing under /proc is stored or serialized.
 */
import { MemFs, FsError, type FullStat } from './memfs.js';
import { normalize } from './path.js';

/** Supplies the virtual /proc tree. */
export interface ProcProvider {
  /** 'file' | 'dir' for an existing virtual path, null when absent. */
  kind(path: string): 'file' | 'dir' | null;
  /** Content of a virtual file. */
  read(path: string): string;
  /** Names in a virtual directory. */
  list(path: string): string[];
  /** Write to a virtual file (e.g. /proc/sysrq-trigger); throws FsError when not writable. */
  write(path: string, data: string): void;
}

const isProc = (p: string) => p === '/proc' || p.startsWith('/proc/');

/** MemFs with a live /proc and mounted filesystems (a GFS2 tree shared with the peer). */
export class NodeFs extends MemFs {
  /** Set by the node once its state exists. */
  proc?: ProcProvider;
  /**
   * Mount point → filesystem mounted there (runtime only, never serialized: whoever mounts it
   * re-attaches it when the world is restored). Paths under a mount point are served by that fs.
   */
  readonly mounts = new Map<string, MemFs>();

  /** The mounted fs serving `path` and the path inside it, or null for the node's own tree. */
  private route(path: string): { fs: MemFs; rel: string } | null {
    if (!this.mounts.size) return null;
    const p = normalize(path);
    let best: string | null = null;
    for (const m of this.mounts.keys())
      if ((p === m || p.startsWith(m + '/')) && (!best || m.length > best.length)) best = m;
    if (!best) return null;
    return { fs: this.mounts.get(best)!, rel: p.slice(best.length) || '/' };
  }

  private vstat(p: string): FullStat | null {
    const k = this.proc?.kind(p) ?? (p === '/proc' ? 'dir' : null);
    if (!k) return null;
    // NOTE: real /proc files report size 0; the content length is friendlier to SFTP clients.
    let size = 0;
    if (k === 'file') {
      try {
        size = Buffer.byteLength(this.proc!.read(p));
      } catch {
        size = 0;
      }
    }
    return { type: k, mode: k === 'dir' ? 0o555 : 0o444, size, uid: 0, gid: 0, mtime: 0, mtimeMs: 0 };
  }

  override stat(path: string): FullStat | null {
    const p = normalize(path);
    const r = this.route(p);
    if (r) return r.fs.stat(r.rel);
    return isProc(p) ? this.vstat(p) : super.stat(path);
  }
  override lstat(path: string): FullStat | null {
    const p = normalize(path);
    const r = this.route(p);
    if (r) return r.fs.lstat(r.rel);
    return isProc(p) ? this.vstat(p) : super.lstat(path);
  }
  override readFile(path: string): Buffer {
    const p = normalize(path);
    const r = this.route(p);
    if (r) return r.fs.readFile(r.rel);
    if (!isProc(p)) return super.readFile(path);
    const k = this.proc?.kind(p);
    if (!k) throw new FsError('ENOENT', path);
    if (k === 'dir') throw new FsError('EISDIR', path);
    return Buffer.from(this.proc!.read(p), 'utf8');
  }
  override writeFile(path: string, data: Buffer | string, mode?: number): void {
    const p = normalize(path);
    const r = this.route(p);
    if (r) return r.fs.writeFile(r.rel, data, mode);
    if (!isProc(p)) return super.writeFile(path, data, mode);
    if (!this.proc || this.proc.kind(p) !== 'file') throw new FsError('ENOENT', path);
    this.proc.write(p, data.toString());
  }
  override appendFile(path: string, data: Buffer | string): void {
    const p = normalize(path);
    const r = this.route(p);
    if (r) return r.fs.appendFile(r.rel, data);
    if (isProc(p)) return this.writeFile(p, data);
    return super.appendFile(path, data);
  }
  override readdir(path: string): string[] {
    const p = normalize(path);
    const r = this.route(p);
    if (r) return r.fs.readdir(r.rel);
    if (!isProc(p)) return super.readdir(path);
    const k = this.proc?.kind(p) ?? (p === '/proc' ? 'dir' : null);
    if (!k) throw new FsError('ENOENT', path);
    if (k !== 'dir') throw new FsError('ENOTDIR', path);
    return this.proc ? this.proc.list(p).sort() : [];
  }
  override realpath(path: string): string {
    const p = normalize(path);
    const r = this.route(p);
    if (r) {
      const inner = r.fs.realpath(r.rel);
      return normalize(p.slice(0, p.length - (r.rel === '/' ? 0 : r.rel.length)) + (inner === '/' ? '' : inner)) || '/';
    }
    if (isProc(p)) {
      if (!this.vstat(p)) throw new FsError('ENOENT', path);
      return p;
    }
    return super.realpath(path);
  }
  override mkdir(path: string, mode?: number): void {
    const r = this.route(path);
    if (r) return r.fs.mkdir(r.rel, mode);
    if (isProc(normalize(path))) throw new FsError('EPERM', path);
    super.mkdir(path, mode);
  }
  override mkdirp(path: string, mode?: number): void {
    const r = this.route(path);
    if (r) return r.fs.mkdirp(r.rel, mode);
    super.mkdirp(path, mode);
  }
  override rename(from: string, to: string): void {
    const a = this.route(from);
    const b = this.route(to);
    if (!a && !b) return super.rename(from, to);
    // NOTE: rename(2) across filesystems fails (EXDEV); mv falls back to copy, SFTP renames in place.
    if (!a || !b || a.fs !== b.fs) throw new FsError('EINVAL', to);
    a.fs.rename(a.rel, b.rel);
  }
  override unlink(path: string): void {
    const r = this.route(path);
    return r ? r.fs.unlink(r.rel) : super.unlink(path);
  }
  override rmdir(path: string): void {
    const r = this.route(path);
    if (r && r.rel === '/') throw new FsError('EPERM', path);
    return r ? r.fs.rmdir(r.rel) : super.rmdir(path);
  }
  override removeTree(path: string): void {
    const r = this.route(path);
    if (r && r.rel === '/') throw new FsError('EPERM', path);
    return r ? r.fs.removeTree(r.rel) : super.removeTree(path);
  }
  override chmod(path: string, mode: number): void {
    const r = this.route(path);
    return r ? r.fs.chmod(r.rel, mode) : super.chmod(path, mode);
  }
  override chown(path: string, uid?: number, gid?: number): void {
    const r = this.route(path);
    return r ? r.fs.chown(r.rel, uid, gid) : super.chown(path, uid, gid);
  }
  override utimes(path: string, mtimeMs: number): void {
    const r = this.route(path);
    return r ? r.fs.utimes(r.rel, mtimeMs) : super.utimes(path, mtimeMs);
  }
  override symlink(target: string, path: string): void {
    const r = this.route(path);
    return r ? r.fs.symlink(target, r.rel) : super.symlink(target, path);
  }
  override readlink(path: string): string {
    const r = this.route(path);
    return r ? r.fs.readlink(r.rel) : super.readlink(path);
  }
  override mknod(path: string, dev: 'block' | 'char', size?: number, mode?: number): void {
    const r = this.route(path);
    return r ? r.fs.mknod(r.rel, dev, size, mode) : super.mknod(path, dev, size, mode);
  }
}
