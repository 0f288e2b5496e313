/**
 * Private keys from files, as `ssh` uses them: an encrypted key asks for its passphrase (three
 * tries), once per key file for the whole process; the parsed key is kept in memory, the
 * passphrase is not.
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

// NOTE: ssh2 is CommonJS; Node's ESM loader does not see `utils` as a named export.
const { utils } = ssh2;

/** Asks for the passphrase of `keyFile` (`attempt` counts from 1). */
export type AskPassphrase = (keyFile: string, attempt: number) => Promise<string>;

const loaded = new Map<string, ParsedKey>();
const pending = new Map<string, Promise<ParsedKey | string>>();

/** Tries of a passphrase, as OpenSSH allows. */
export const PASSPHRASE_TRIES = 3;

function first(k: ParsedKey | ParsedKey[] | Error): ParsedKey | Error {
  return Array.isArray(k) ? k[0] : k;
}

/**
 * The parsed key of `file`, or why it cannot be used (a string: unreadable, not a key, encrypted
 * and nobody to ask, wrong passphrase three times). Concurrent loads of one file ask once.
 */
export function loadIdentity(file: string, ask?: AskPassphrase): Promise<ParsedKey | string> {
  const have = loaded.get(file);
  if (have) return Promise.resolve(have);
  const busy = pending.get(file);
  if (busy) return busy;
  const p = (async (): Promise<ParsedKey | string> => {
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch (e) {
      return `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    let key = first(utils.parseKey(data));
    if (key instanceof Error && /passphrase/i.test(key.message)) {
      if (!ask) return `${file} is encrypted and there is nobody to ask for its passphrase (load it into ssh-agent)`;
      for (let attempt = 1; attempt <= PASSPHRASE_TRIES && key instanceof Error; attempt++)
        key = first(utils.parseKey(data, await ask(file, attempt)));
      if (key instanceof Error) return `wrong passphrase for ${file} (${PASSPHRASE_TRIES} tries)`;
    }
    if (key instanceof Error) return `${file} is not a usable private key: ${key.message}`;
    loaded.set(file, key);
    return key;
  })().finally(() => pending.delete(file));
  pending.set(file, p);
  return p;
}

/** Forget every loaded key (tests). */
export function forgetIdentities(): void {
  loaded.clear();
}
