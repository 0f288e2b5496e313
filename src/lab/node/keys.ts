/**
 * SSH key material for the lab: real RSA keys (node:crypto), the OpenSSH public key format, MD5
 * fingerprints, and OpenSSH 5.3's "randomart" picture as ssh-keygen prints it on EL6.
 */
import {
  generateKeyPair,
  generateKeyPairSync,
  createHash,
  createPublicKey,
  createPrivateKey,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';

/** A generated key pair in the formats OpenSSH 5.3 writes. */
export interface RsaKeyPair {
  /** PKCS#1 PEM ("-----BEGIN RSA PRIVATE KEY-----"). */
  privatePem: string;
  /** Public key blob (the base64 body of an OpenSSH public key line). */
  blob: Buffer;
  bits: number;
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function mpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.subarray(i);
  if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return sshString(v);
}

/** ssh-rsa public key blob from a public or private key (PEM or KeyObject input). */
export function rsaBlob(pem: string): { blob: Buffer; bits: number } {
  const key = pem.includes('PRIVATE') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  const jwk = key.export({ format: 'jwk' }) as { n: string; e: string };
  const n = Buffer.from(jwk.n, 'base64url');
  const e = Buffer.from(jwk.e, 'base64url');
  const blob = Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(e), mpint(n)]);
  return { blob, bits: bitLength(n) };
}

function bitLength(n: Buffer): number {
  let i = 0;
  while (i < n.length && n[i] === 0) i++;
  if (i === n.length) return 0;
  return (n.length - i - 1) * 8 + (32 - Math.clz32(n[i]));
}

/**
 * Where `generateRsa` may take a private key made earlier: returns one never handed out before, or
 * undefined to have it generated. Set by the test suite only (test/setup/rsa-key-pool.ts).
 */
export type RsaKeySource = (bits: number, exponent: number) => KeyObject | undefined;

// NOTE: a 2048-bit RSA key costs ~0.3 s of CPU, and every fresh lab world seeds one per node: a third of
// the in-process tests' CPU went to host keys until the suite took them from a pool made ahead.
let keySource: RsaKeySource | undefined;

/** Install (or, with undefined, remove) the source `generateRsa` asks first; returns the previous one. */
export function setRsaKeySource(source: RsaKeySource | undefined): RsaKeySource | undefined {
  const prev = keySource;
  keySource = source;
  return prev;
}

/**
 * Start making `count` RSA keys on node's thread pool, in parallel, for a world about to be seeded
 * (one host key per node): {@link withKeysAhead} hands them to `generateRsa`. NOTE: a fresh lab
 * spent ~0.7 s of its start making them one after the other on the event loop (issue 18). Nothing is
 * made when a key source is installed already (the test suite's pool).
 */
export function startKeysAhead(count: number, bits = 2048, exponent = 65537): KeysAhead {
  const keys = keySource
    ? []
    : Array.from({ length: count }, () =>
        promisify(generateKeyPair)('rsa', { modulusLength: bits, publicExponent: exponent }).then((k) => k.privateKey),
      );
  return { bits, exponent, keys };
}

/** Keys being made ahead ({@link startKeysAhead}). */
export interface KeysAhead {
  bits: number;
  exponent: number;
  keys: Promise<KeyObject>[];
}

/** Run `fn` with the keys made ahead served first to `generateRsa` (of their size), then as before. */
export async function withKeysAhead<T>(ahead: KeysAhead | undefined, fn: () => T): Promise<T> {
  const ready = ahead ? await Promise.all(ahead.keys) : [];
  if (!ready.length) return fn();
  const prev = keySource;
  keySource = (bits, exponent) =>
    (bits === ahead!.bits && exponent === ahead!.exponent ? ready.shift() : undefined) ?? prev?.(bits, exponent);
  try {
    return fn();
  } finally {
    keySource = prev;
  }
}

/** Generate an RSA key pair (OpenSSH 5.3 used public exponent 35 for ssh-keygen). */
export function generateRsa(bits = 2048, exponent = 65537): RsaKeyPair {
  const privateKey =
    keySource?.(bits, exponent) ??
    generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: exponent }).privateKey;
  return keyPairOf(privateKey);
}

/**
 * {@link generateRsa} off the event loop (node's thread pool): what ssh-keygen on a node uses, so the
 * other node's commands and the SSH traffic go on meanwhile, and both nodes' keys are made at once
 * on two cores, as on two real machines (issue 18: a 2047-bit key with exponent 35 costs ~0.5 s).
 */
export async function generateRsaAsync(bits = 2048, exponent = 65537): Promise<RsaKeyPair> {
  const privateKey =
    keySource?.(bits, exponent) ??
    (await promisify(generateKeyPair)('rsa', { modulusLength: bits, publicExponent: exponent })).privateKey;
  return keyPairOf(privateKey);
}

function keyPairOf(privateKey: KeyObject): RsaKeyPair {
  const privatePem = privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const { blob, bits: real } = rsaBlob(privatePem);
  return { privatePem, blob, bits: real };
}

/** Parse an OpenSSH public key line: `ssh-rsa AAAA... comment`. */
export function parsePublicLine(line: string): { type: string; blob: Buffer; comment: string } | null {
  const m = /^(ssh-rsa|ssh-dss|ecdsa-sha2-nistp\d+|ssh-ed25519)\s+([A-Za-z0-9+/=]+)(?:\s+(.*))?$/.exec(line.trim());
  if (!m) return null;
  return { type: m[1], blob: Buffer.from(m[2], 'base64'), comment: m[3] ?? '' };
}

/** Bits of the RSA modulus in a public key blob. */
export function blobBits(blob: Buffer): number {
  let off = 0;
  const read = () => {
    const len = blob.readUInt32BE(off);
    const v = blob.subarray(off + 4, off + 4 + len);
    off += 4 + len;
    return v;
  };
  read(); // type
  read(); // e
  return bitLength(read());
}

/** `ssh-rsa <base64> <comment>` */
export function publicLine(blob: Buffer, comment: string): string {
  return `ssh-rsa ${blob.toString('base64')}${comment ? ' ' + comment : ''}`;
}

/** MD5 fingerprint as OpenSSH 5.3 prints it: `4a:52:a1:...`. */
export function md5Fingerprint(blob: Buffer): string {
  return createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
}

/**
 * The "drunken bishop" picture (OpenSSH key_fingerprint_randomart): a 17x9 field walked with the MD5
 * digest's bit pairs, framed with the key type and size, e.g. `+--[ RSA 2047]----+`.
 */
export function randomArt(blob: Buffer, type = 'RSA', bits = blobBits(blob)): string {
  const W = 17;
  const H = 9;
  const chars = ' .o+=*BOX@%&#/^SE';
  const field: number[][] = Array.from({ length: W }, () => Array<number>(H).fill(0));
  let x = Math.floor(W / 2);
  let y = Math.floor(H / 2);
  const digest = createHash('md5').update(blob).digest();
  for (const byte of digest) {
    let input = byte;
    for (let b = 0; b < 4; b++) {
      x += input & 1 ? 1 : -1;
      y += input & 2 ? 1 : -1;
      x = Math.max(0, Math.min(x, W - 1));
      y = Math.max(0, Math.min(y, H - 1));
      if (field[x][y] < chars.length - 2) field[x][y]++;
      input >>= 2;
    }
  }
  field[Math.floor(W / 2)][Math.floor(H / 2)] = chars.length - 2;
  field[x][y] = chars.length - 1;
  const title = `+--[${type.padStart(4)} ${String(bits).padStart(4)}]`;
  const top = `${title}${'-'.repeat(Math.max(0, W + 1 - title.length))}+`;
  const lines = [top];
  for (let row = 0; row < H; row++) {
    let l = '|';
    for (let col = 0; col < W; col++) l += chars[Math.min(field[col][row], chars.length - 1)];
    lines.push(l + '|');
  }
  lines.push('+' + '-'.repeat(W) + '+');
  return lines.join('\n');
}
