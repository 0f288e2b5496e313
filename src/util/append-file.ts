/** Appending to a journal file without ever following a symbolic link out of its folder. */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { AnvilError } from '../errors.js';

/**
 * Append `text` to `file` in one write(2) (O_APPEND; created 0600), refusing a symbolic link in
 * its place: a journal planted as a link could otherwise append the tool's lines to any file the
 * operator can write. Errors (full disk, read-only folder) become an `AnvilError` naming the file.
 */
export function appendNoFollow(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new AnvilError(
        `${file} is a symbolic link; the journal is not followed out of its folder`,
        `remove the link (rm ${file}); a new journal is started`,
      );
    throw new AnvilError(`cannot open ${file}: ${describeIoError(e)}`, ioHint(e));
  }
  try {
    writeSync(fd, text);
  } catch (e) {
    throw new AnvilError(`cannot append to ${file}: ${describeIoError(e)}`, ioHint(e));
  } finally {
    closeSync(fd);
  }
}

/** `ENOSPC (no space left on the disk)` and the like, for messages. */
export function describeIoError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the disk',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'the file system is read-only',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of the path is not a folder',
    ENOENT: 'no such file or folder',
    EIO: 'input/output error',
  };
  return code ? `${code} (${why[code] ?? (e as Error).message})` : String((e as Error)?.message ?? e);
}

/** What to do about an I/O error. */
export function ioHint(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'free some space, then resume: nothing done so far is lost';
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM')
    return 'make the state folder writable by you (or pass another --state), then resume';
  return 'fix the state folder, then resume';
}
