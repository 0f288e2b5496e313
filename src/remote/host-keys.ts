/**
 * Host key trust. A node's key is never accepted blindly (DESIGN.md "Transport"). Order:
 * 1. a fingerprint pinned in the answers (`nodes[].ssh.hostKey`) must match;
 * 2. else `<stateDir>/known_hosts` (OpenSSH line format: patterns, hashed hosts, `@revoked`) must match;
 * 3. else first contact: `confirm(host, fingerprint)` asks the operator; "yes" appends to known_hosts.
 * A changed key stops with `HostKeyMismatch` showing both fingerprints; with no `confirm` (unattended)
 * an unknown key is refused with a hint on how to pin it.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { AnvilError, HostKeyMismatch } from '../errors.js';
import { HostKeyCertAuthority, HostKeyRejected, HostKeyRevoked, HostKeyUnknown } from './errors.js';

/** Asks the operator whether to trust a first-seen key; resolves true for "yes". */
export type ConfirmHostKey = (host: string, fingerprint: string, keyType: string) => Promise<boolean>;

/** How a session decides whether to trust a node's host key. */
export interface HostKeyPolicy {
  /** Pinned fingerprint (`SHA256:...`), from `nodes[].ssh.hostKey`. Wins over everything else. */
  pinned?: string;
  /** The state folder's known_hosts file (`<stateDir>/known_hosts`). Created on first accept. */
  knownHostsFile?: string;
  /** The operator's own known_hosts files (`~/.ssh/known_hosts`), read only, hashed names included. */
  userKnownHostsFiles?: string[];
  /** First-contact question; absent when unattended (then unknown keys are refused). */
  confirm?: ConfirmHostKey;
  /** Why nobody is asked when `confirm` is absent (`--yes was given…`), for the refusal message. */
  unattendedReason?: string;
}

/** How a key came to be trusted. */
export type TrustReason = 'pinned' | 'known' | 'confirmed';

/** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of sha256(key blob). */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`...). */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const len = blob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > blob.length) return 'unknown';
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** The host field of a known_hosts line, as OpenSSH writes it: `host` for port 22, else `[host]:port`. */
export function hostPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** One usable known_hosts entry. */
export interface KnownHostEntry {
  hosts: string[];
  type: string;
  blob: Buffer;
  /** `@revoked` or `@cert-authority`; absent for a plain line. */
  marker?: 'revoked' | 'cert-authority';
}

/** Whether a hashed known_hosts name (`|1|salt|hash`, HashKnownHosts yes) stands for `pattern`. */
export function hashedHostMatches(hashed: string, pattern: string): boolean {
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(hashed);
  if (!m) return false;
  return createHmac('sha1', Buffer.from(m[1], 'base64')).update(pattern).digest('base64') === m[2];
}

/**
 * Parse known_hosts text as OpenSSH does: comma-separated host patterns (wildcards `*` `?`,
 * negation `!`, `[host]:port`, hashed `|1|salt|hash`), and the `@revoked` / `@cert-authority`
 * markers. Comments, blank and malformed lines are skipped.
 */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let marker: KnownHostEntry['marker'];
    if (line.startsWith('@')) {
      const m = /^@(\S+)\s+(.*)$/.exec(line);
      if (!m || (m[1] !== 'revoked' && m[1] !== 'cert-authority')) continue;
      marker = m[1];
      line = m[2]!;
    }
    const [hosts, type, b64] = line.split(/\s+/);
    if (!hosts || !type || !b64) continue;
    const blob = Buffer.from(b64, 'base64');
    if (!blob.length) continue;
    out.push({ hosts: hosts.split(','), type, blob, ...(marker ? { marker } : {}) });
  }
  return out;
}

/** Whether one host pattern of a known_hosts line names `pat` (`host` or `[host]:port`). */
function patternMatches(p: string, pat: string): boolean {
  if (p.startsWith('|1|')) {
    const [, , salt, hash] = p.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(pat).digest('base64') === hash;
  }
  if (!/[*?]/.test(p)) return p.toLowerCase() === pat.toLowerCase();
  const re = new RegExp(
    `^${p
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(pat);
}

/** Whether an entry names `host`:`port` (a negated pattern that matches excludes it). */
export function entryNames(e: KnownHostEntry, host: string, port: number): boolean {
  const pat = hostPattern(host, port);
  let hit = false;
  for (const h of e.hosts) {
    if (h.startsWith('!')) {
      if (patternMatches(h.slice(1), pat)) return false;
    } else if (patternMatches(h, pat)) hit = true;
  }
  return hit;
}

/** Every entry of `file` (plain and marked) that names `host`:`port`; [] when there is no file. */
export function knownEntriesFor(file: string, host: string, port: number): KnownHostEntry[] {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile())
      throw new AnvilError(
        `${file} is not a file (${st.isDirectory() ? 'a folder' : 'not a regular file'}); it should hold known host keys, one per line`,
        `remove it (a new one is written on first contact) or replace it with an OpenSSH known_hosts file`,
      );
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof AnvilError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AnvilError(
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      'make it readable by you, or remove it',
    );
  }
  return parseKnownHosts(text).filter((e) => entryNames(e, host, port));
}

/** Plain (unmarked) entries of `file` that name `host`:`port`. */
export function knownKeysFor(file: string, host: string, port: number): KnownHostEntry[] {
  return knownEntriesFor(file, host, port).filter((e) => !e.marker);
}

/** Append a trusted key to `file` (one OpenSSH-style line), creating the folder if needed. */
export function addKnownHost(file: string, host: string, port: number, blob: Buffer): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${hostPattern(host, port)} ${keyType(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

/**
 * Server host key algorithms to offer, known types first, so a node with several host keys
 * presents the one we already hold (as OpenSSH does). Undefined when nothing is known.
 */
export function preferredHostKeyAlgorithms(policy: HostKeyPolicy, host: string, port: number): string[] | undefined {
  if (!policy.knownHostsFile || policy.pinned) return undefined;
  const types = [...new Set(knownKeysFor(policy.knownHostsFile, host, port).map((e) => e.type))];
  if (!types.length) return undefined;
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const algsOf = (t: string) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]);
  const first = types.flatMap(algsOf).filter((a) => all.includes(a));
  return [...first, ...all.filter((a) => !first.includes(a))];
}

/**
 * Decide whether to trust `blob` presented by `host`:`port`. Resolves with how it was trusted;
 * rejects with `HostKeyMismatch` (changed key, both fingerprints), `HostKeyUnknown` (unattended) or
 * `HostKeyRejected` (operator said no).
 */
export async function verifyHostKey(
  policy: HostKeyPolicy,
  host: string,
  port: number,
  blob: Buffer,
): Promise<TrustReason> {
  const seen = fingerprint(blob);
  const label = hostPattern(host, port);
  const entries = policy.knownHostsFile ? knownEntriesFor(policy.knownHostsFile, host, port) : [];
  // NOTE: as OpenSSH: a revoked key is refused before anything else (a pin included).
  if (entries.some((e) => e.marker === 'revoked' && e.blob.equals(blob)))
    throw new HostKeyRevoked(label, seen, policy.knownHostsFile!);
  if (policy.pinned) {
    if (policy.pinned.replace(/=+$/, '') === seen) return 'pinned';
    throw new HostKeyMismatch(label, `${policy.pinned} (pinned in the answers)`, seen);
  }
  // NOTE: the state folder's known_hosts first, then the operator's own (~/.ssh/known_hosts).
  for (const file of [policy.knownHostsFile, ...(policy.userKnownHostsFiles ?? [])]) {
    if (!file) continue;
    const fileEntries = file === policy.knownHostsFile ? entries : knownEntriesFor(file, host, port);
    if (file !== policy.knownHostsFile && fileEntries.some((e) => e.marker === 'revoked' && e.blob.equals(blob)))
      throw new HostKeyRevoked(label, seen, file);
    const known = fileEntries.filter((e) => !e.marker);
    if (!known.length && fileEntries.some((e) => e.marker === 'cert-authority'))
      throw new HostKeyCertAuthority(label, file);
    if (!known.length) continue;
    if (known.some((e) => e.blob.equals(blob))) return 'known';
    // NOTE: OpenSSH accepts a key listed for the host of another type than the one it holds; so do we
    // only for the state file, where we wrote it. A changed key of a known type stops.
    if (!known.some((e) => e.type === keyType(blob)) && file !== policy.knownHostsFile) continue;
    const expected = known.map((e) => `${e.type} ${fingerprint(e.blob)}`).join(' or ');
    throw new HostKeyMismatch(label, `${expected} (${file})`, `${keyType(blob)} ${seen}`);
  }
  if (!policy.confirm) throw new HostKeyUnknown(label, seen, keyType(blob), policy.unattendedReason);
  if (!(await policy.confirm(label, seen, keyType(blob)))) throw new HostKeyRejected(label, seen);
  if (policy.knownHostsFile) addKnownHost(policy.knownHostsFile, host, port, blob);
  return 'confirmed';
}
