/**
 * `secret.key`: the state folder's key for keyed hashes of secrets (HMAC-SHA256). The checkpoint
 * records, per task, a keyed digest of each secret the task applied, so a changed password re-opens
 * the task without the password (or a plain hash of it, open to a dictionary) ever being in
 * `state.json`.
 *
 * NOTE: the key lives in the state folder, beside state.json but not in it: an operator who copies
 * the folder (to another workstation, into a backup) keeps the resume behaviour; one who shares
 * state.json alone (a bug report) shares nothing a password can be recovered from. A missing key is
 * made anew, and the tasks that applied a secret are re-opened, saying why (secret-inputs.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AnvilError } from '../errors.js';

/** File name of the key inside a state folder. */
export const SECRET_KEY_FILE = 'secret.key';

/** Read `DIR/secret.key` (32 bytes, hex), creating it (mode 0600) when absent. */
export function loadSecretKey(dir: string): Buffer {
  const file = join(dir, SECRET_KEY_FILE);
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('hex') + '\n');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST')
      throw new AnvilError(`cannot create ${file}: ${code ?? String(e)}`, `make ${dir} writable by you`);
  }
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile())
      throw new AnvilError(
        `${file} is not a file`,
        `remove it; a new key is made (tasks that applied a password run again)`,
      );
    // NOTE: a copy made with a loose umask (cp -r) keeps its content; put the mode back instead of refusing.
    if ((st.mode & 0o077) !== 0) chmodSync(file, 0o600);
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    if (e instanceof AnvilError) throw e;
    throw new AnvilError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      `make it readable by you, or remove it (tasks that applied a password run again)`,
    );
  }
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new AnvilError(
      `${file} is damaged (not a 64-digit hex key)`,
      'remove it; a new key is made and the tasks that applied a password run again',
    );
  return Buffer.from(text, 'hex');
}

/** A short public name of a key (recorded in state.json to tell "key lost" from "password changed"). */
export function secretKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('anvil-install secret key id').digest('hex').slice(0, 16);
}

/** The keyed digest of one secret at one path. */
export function secretDigest(key: Buffer, path: string, value: string): string {
  return createHmac('sha256', key).update(`${path}\0${value}`).digest('hex').slice(0, 32);
}
