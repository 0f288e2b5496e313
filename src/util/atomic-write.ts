/** Atomic file replacement, shared by the installer's state file and the lab's saved world and keys. */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/**
 * Write a file so that readers see either the old or the new content, never half of it: a temp file
 * beside it, fsync, rename over it, fsync of the folder. Missing parent folders are created (0700).
 * With `durable: false` the two fsyncs are left out: still whole after a kill of the process (the
 * page cache keeps it), not after a power cut of the host (the lab's world, never the installer's state).
 */
export function writeFileAtomic(
  path: string,
  data: string | Buffer,
  mode = 0o600,
  o: { durable?: boolean } = {},
): void {
  const durable = o.durable ?? true;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fd = openSync(tmp, 'w', mode);
  let written = false;
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    if (!written) {
      try {
        unlinkSync(tmp);
      } catch {
        /* already gone */
      }
    }
  }
  renameSync(tmp, path);
  if (!durable) return;
  // NOTE: fsync the folder so the rename itself survives a power cut; not possible everywhere.
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* best effort */
  }
}
