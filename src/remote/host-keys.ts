/**
 * Host key trust. A node's key is never accepted blindly (DESIGN.md "Transport"). Order:
 * 1. a fingerprint pinned in the answers (`nodes[].ssh.hostKey`) must match;
 * 2. else `<stateDir>/known_hosts` (OpenSSH line format) must match;
 * 3. else first contact: `confirm(host, fingerprint)` asks the operator; "yes" appends to known_hosts.
 * A changed key stops with `HostKeyMismatch` showing both fingerprints; with no `confirm` (unattended)
 * an unknown key is refused with a hint on how to pin it.
 */
import { createHash, createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HostKeyMismatch } from '../errors.js';
import { HostKeyRejected, HostKeyUnknown } from './errors.js';

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
}

/** Whether a hashed known_hosts name (`|1|salt|hash`, HashKnownHosts yes) stands for `pattern`. */
export function hashedHostMatches(hashed: string, pattern: string): boolean {
  const m = /^\|1\|([^|]+)\|([^|]+)$/.exec(hashed);
  if (!m) return false;
  return createHmac('sha1', Buffer.from(m[1]!, 'base64')).update(pattern).digest('base64') === m[2];
}

/** Parse known_hosts text; markers (`@cert-authority`, `@revoked`) and comments are skipped; hashed names are kept as written. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('@')) continue;
    const [hosts, type, b64] = line.split(/\s+/);
    if (!hosts || !type || !b64) continue;
    const blob = Buffer.from(b64, 'base64');
    if (!blob.length) continue;
    out.push({ hosts: hosts.split(','), type, blob });
  }
  return out;
}

/** Entries of `file` that name `host`:`port`. */
export function knownKeysFor(file: string, host: string, port: number): KnownHostEntry[] {
  if (!existsSync(file)) return [];
  const pat = hostPattern(host, port);
  return parseKnownHosts(readFileSync(file, 'utf8')).filter((e) => e.hosts.some((h) => h === pat || hashedHostMatches(h, pat)));
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
  const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  const algsOf = (t: string) => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]);
  const first = types.flatMap(algsOf).filter((a) => all.includes(a));
  return [...first, ...all.filter((a) => !first.includes(a))];
}

/**
 * Decide whether to trust `blob` presented by `host`:`port`. Resolves with how it was trusted;
 * rejects with `HostKeyMismatch` (changed key, both fingerprints), `HostKeyUnknown` (unattended) or
 * `HostKeyRejected` (operator said no).
 */
export async function verifyHostKey(policy: HostKeyPolicy, host: string, port: number, blob: Buffer): Promise<TrustReason> {
  const seen = fingerprint(blob);
  const label = hostPattern(host, port);
  if (policy.pinned) {
    if (policy.pinned.replace(/=+$/, '') === seen) return 'pinned';
    throw new HostKeyMismatch(label, `${policy.pinned} (pinned in the answers)`, seen);
  }
  for (const file of [policy.knownHostsFile, ...(policy.userKnownHostsFiles ?? [])]) {
    const known = file ? knownKeysFor(file, host, port) : [];
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
