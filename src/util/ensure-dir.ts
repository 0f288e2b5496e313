/**
 * Create an output folder (`--out`, `--state`) one level at a time, with errors an operator can act
 * on. NOTE: not `mkdirSync(…, { recursive: true })`: on /proc (where mkdir fails with ENOENT under
 * an existing parent) Node's recursive mkdir loops for ever.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AnvilError } from '../errors.js';

/** Plain words for the errno codes file operations raise. */
const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EEXIST: 'it already exists',
  EBUSY: 'busy',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

/** `permission denied` for EACCES, … (undefined for codes that are not about files). */
export function errnoWords(code: string | undefined): string | undefined {
  return code ? WHY[code] : undefined;
}

/** Whether `e` is a Node system error about a file (has an errno `code` we can word). */
export function isFileError(e: unknown): e is NodeJS.ErrnoException {
  return (
    e instanceof Error &&
    typeof (e as NodeJS.ErrnoException).code === 'string' &&
    !!WHY[(e as NodeJS.ErrnoException).code!]
  );
}

function fail(dir: string, flag: string | undefined, why: string): never {
  throw new AnvilError(
    `cannot use ${dir}${flag ? ` (${flag})` : ''} as a folder: ${why}`,
    `choose another folder${flag ? ` with ${flag}` : ''}, or fix its permissions`,
  );
}

/** Make sure `dir` is a folder we can write in, creating it (and missing parents) if needed. */
export function ensureDir(dir: string, flag?: string, mode = 0o755): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    try {
      if (!statSync(p).isDirectory()) fail(dir, flag, `${p} is a file, not a folder`);
      break;
    } catch (e) {
      if (e instanceof AnvilError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') fail(dir, flag, `${p}: ${errnoWords(code) ?? (e as Error).message}`);
      missing.unshift(p);
      const up = dirname(p);
      if (up === p) fail(dir, flag, 'no such file or folder');
      p = up;
    }
  }
  for (const m of missing) {
    try {
      mkdirSync(m, { mode });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue;
      fail(dir, flag, `cannot create ${m}: ${errnoWords(code) ?? (e as Error).message}`);
    }
  }
  try {
    accessSync(abs, constants.W_OK | constants.X_OK);
  } catch (e) {
    fail(dir, flag, errnoWords((e as NodeJS.ErrnoException).code) ?? (e as Error).message);
  }
}
