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

/** MemFs with a live /proc. */
export class NodeFs extends MemFs {
  /** Set by the node once its state exists. */
  proc?: ProcProvider;

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
    return isProc(p) ? this.vstat(p) : super.stat(path);
  }
  override lstat(path: string): FullStat | null {
    const p = normalize(path);
    return isProc(p) ? this.vstat(p) : super.lstat(path);
  }
  override readFile(path: string): Buffer {
    const p = normalize(path);
    if (!isProc(p)) return super.readFile(path);
    const k = this.proc?.kind(p);
    if (!k) throw new FsError('ENOENT', path);
    if (k === 'dir') throw new FsError('EISDIR', path);
    return Buffer.from(this.proc!.read(p), 'utf8');
  }
  override writeFile(path: string, data: Buffer | string, mode?: number): void {
    const p = normalize(path);
    if (!isProc(p)) return super.writeFile(path, data, mode);
    if (!this.proc || this.proc.kind(p) !== 'file') throw new FsError('ENOENT', path);
    this.proc.write(p, data.toString());
  }
  override appendFile(path: string, data: Buffer | string): void {
    const p = normalize(path);
    if (isProc(p)) return this.writeFile(p, data);
    return super.appendFile(path, data);
  }
  override readdir(path: string): string[] {
    const p = normalize(path);
    if (!isProc(p)) return super.readdir(path);
    const k = this.proc?.kind(p) ?? (p === '/proc' ? 'dir' : null);
    if (!k) throw new FsError('ENOENT', path);
    if (k !== 'dir') throw new FsError('ENOTDIR', path);
    return this.proc ? this.proc.list(p).sort() : [];
  }
  override realpath(path: string): string {
    const p = normalize(path);
    if (isProc(p)) {
      if (!this.vstat(p)) throw new FsError('ENOENT', path);
      return p;
    }
    return super.realpath(path);
  }
  override mkdir(path: string, mode?: number): void {
    if (isProc(normalize(path))) throw new FsError('EPERM', path);
    super.mkdir(path, mode);
  }
}
