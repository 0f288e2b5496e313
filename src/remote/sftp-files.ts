/**
 * File operations over one SFTP channel: read (null when absent), and the atomic write of
 * DESIGN.md "Transport": back up the original once, upload to a temp name in the same folder,
 * set the mode, fsync, rename over the target.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { SFTPWrapper, Stats } from 'ssh2';

// NOTE: numeric SFTP status codes (draft-ietf-secsh-filexfer-02), as ssh2 puts them in err.code.
const NO_SUCH_FILE = 2;
/** Keep one write request below every server's packet limit (34000 bytes for non-OpenSSH servers). */
const CHUNK = 32 * 1024;

/** Options of `sftpWriteFile`. */
export interface WriteFileOptions {
  /** Mode of the written file. Default: the existing file's mode, else 0o644. */
  mode?: number;
  /** Where to keep the original (absolute path). Only written when the target exists and this does not. */
  backupTo?: string;
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === NO_SUCH_FILE || code === 'ENOENT';
}

function call<T = void>(fn: (cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      fn((err, v) => (err ? reject(err) : resolve(v as T)));
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

/** Stats of `path`, or null when it does not exist. */
export async function statOrNull(sftp: SFTPWrapper, path: string): Promise<Stats | null> {
  try {
    return await call<Stats>((cb) => sftp.stat(path, cb));
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/** Read a whole file; null when it does not exist. */
export async function sftpReadFile(sftp: SFTPWrapper, path: string): Promise<Buffer | null> {
  try {
    return await call<Buffer>((cb) => sftp.readFile(path, cb));
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/** `mkdir -p` over SFTP. */
export async function sftpMkdirP(sftp: SFTPWrapper, dir: string): Promise<void> {
  if (dir === '/' || dir === '.' || dir === '') return;
  const st = await statOrNull(sftp, dir);
  if (st) {
    if (!st.isDirectory()) throw new Error(`${dir} exists and is not a folder`);
    return;
  }
  await sftpMkdirP(sftp, posix.dirname(dir));
  try {
    await call((cb) => sftp.mkdir(dir, { mode: 0o755 }, cb));
  } catch (e) {
    // NOTE: created meanwhile by a parallel writer is fine; anything else is real.
    if (!(await statOrNull(sftp, dir))?.isDirectory()) throw e;
  }
}

/** A temp name beside `path`: `.<name>.anvil-<random>`, so the rename stays within one filesystem. */
export function tempNameFor(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.anvil-${randomBytes(6).toString('hex')}`);
}

/** Create `path` exclusively, write `data`, set `mode`, fsync when the server can, close. */
async function writeNew(sftp: SFTPWrapper, path: string, data: Buffer, mode: number): Promise<void> {
  const handle = await call<Buffer>((cb) => sftp.open(path, 'wx', { mode }, cb));
  let ok = false;
  try {
    for (let off = 0; off < data.length;) {
      const len = Math.min(CHUNK, data.length - off);
      await call((cb) => sftp.write(handle, data, off, len, off, cb));
      off += len;
    }
    // NOTE: explicit chmod: the mode given at open is filtered by the server's umask.
    await call((cb) => sftp.fchmod(handle, mode, cb));
    try {
      await call((cb) => sftp.ext_openssh_fsync(handle, cb));
    } catch {
      // NOTE: fsync@openssh.com is optional; without it the node's own reboot path syncs.
    }
    ok = true;
  } finally {
    await call((cb) => sftp.close(handle, cb)).catch((e) => {
      if (ok) throw e;
    });
    if (!ok) await call((cb) => sftp.unlink(path, cb)).catch(() => undefined);
  }
}

/** Rename that replaces the target: posix-rename@openssh.com when offered, else rename (after unlink). */
async function renameOver(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
  try {
    await call((cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  } catch (e) {
    if (!/does not support/i.test(String((e as Error)?.message))) throw e;
  }
  try {
    await call((cb) => sftp.rename(from, to, cb));
  } catch {
    // NOTE: plain SFTP rename refuses an existing target on OpenSSH; this fallback is not atomic.
    await call((cb) => sftp.unlink(to, cb)).catch(() => undefined);
    await call((cb) => sftp.rename(from, to, cb));
  }
}

/** Copy `src` (with `st`) to `dest` without ever replacing an existing `dest`. */
async function backupOnce(sftp: SFTPWrapper, src: string, st: Stats, dest: string): Promise<void> {
  if (await statOrNull(sftp, dest)) return;
  await sftpMkdirP(sftp, posix.dirname(dest));
  const original = await call<Buffer>((cb) => sftp.readFile(src, cb));
  const tmp = tempNameFor(dest);
  await writeNew(sftp, tmp, original, st.mode & 0o7777);
  await call((cb) => sftp.utimes(tmp, st.atime, st.mtime, cb)).catch(() => undefined);
  await call((cb) => sftp.chown(tmp, st.uid, st.gid, cb)).catch(() => undefined);
  try {
    // NOTE: plain SFTP rename (not posix-rename) fails on OpenSSH when dest exists: a backup that
    // appeared meanwhile is kept, never replaced.
    await call((cb) => sftp.rename(tmp, dest, cb));
  } catch (e) {
    await call((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
    if (!(await statOrNull(sftp, dest))) throw e;
  }
}

/** Write `path` atomically (temp + rename), keeping the first original at `backupTo` when given. */
export async function sftpWriteFile(
  sftp: SFTPWrapper,
  path: string,
  data: string | Buffer,
  opts: WriteFileOptions = {},
): Promise<void> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const st = await statOrNull(sftp, path);
  if (st && !st.isFile()) throw new Error(`${path} exists and is not a regular file`);
  if (st && opts.backupTo) await backupOnce(sftp, path, st, opts.backupTo);
  const mode = opts.mode ?? (st ? st.mode & 0o7777 : 0o644);
  const tmp = tempNameFor(path);
  await writeNew(sftp, tmp, buf, mode);
  try {
    if (st) await call((cb) => sftp.chown(tmp, st.uid, st.gid, cb)).catch(() => undefined);
    await renameOver(sftp, tmp, path);
  } catch (e) {
    await call((cb) => sftp.unlink(tmp, cb)).catch(() => undefined);
    throw e;
  }
}
