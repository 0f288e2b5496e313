/**
 * Lab host keys (and `ssh-keygen` keys) for the in-process tests, from a pool of RSA-2048 keys made
 * ahead: generating one costs ~0.3 s of CPU, every fresh lab world seeds one per node, and until this
 * pool a third of the in-process tests' CPU went there. A key is real (usable by the SSH server and
 * the client) and handed out at most once per test file, so two keys a test compares always differ;
 * when a file has used its share, `generateRsa` generates as before. Subprocesses (the built CLI, `lab
 * serve`) generate their own. The pool stores the primes only (test/fixtures/keys/rsa-pool.json, made
 * by `node test/fixtures/keys/make-rsa-pool.mjs`); the rest of each key is derived here.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setRsaKeySource } from '../../src/lab/node/keys.js';

interface Pool {
  /** Per public exponent, `p.q` in base64url (big-endian). */
  keys: Record<string, string[]>;
}

const big = (b64: string) => BigInt(`0x${Buffer.from(b64, 'base64url').toString('hex')}`);
const b64 = (n: bigint) => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
};

/** x⁻¹ mod m (extended Euclid). */
function inverse(x: bigint, m: bigint): bigint {
  let [a, b, u, v] = [((x % m) + m) % m, m, 1n, 0n];
  while (b) {
    const q = a / b;
    [a, b, u, v] = [b, a - q * b, v, u - q * v];
  }
  return ((u % m) + m) % m;
}

/** The private key of primes `pq` and exponent `e`. */
function keyOf(pq: string, e: number): KeyObject {
  const [p, q] = pq.split('.').map(big);
  const d = inverse(BigInt(e), (p - 1n) * (q - 1n));
  return createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: b64(p * q),
      e: b64(BigInt(e)),
      d: b64(d),
      p: b64(p),
      q: b64(q),
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(inverse(q, p)),
    },
  });
}

const pool = JSON.parse(readFileSync(new URL('../fixtures/keys/rsa-pool.json', import.meta.url), 'utf8')) as Pool;
// NOTE: the two workers of this machine take disjoint halves, so two labs served at once never share a key.
const slot = (Number(process.env.VITEST_POOL_ID ?? 1) - 1) % 2;
const next: Record<string, number> = {};
setRsaKeySource((bits, exponent) => {
  const all = pool.keys[String(exponent)];
  if (bits !== 2048 || !all) return undefined;
  const half = Math.floor(all.length / 2);
  const i = next[exponent] ?? 0;
  if (i >= half) return undefined;
  next[exponent] = i + 1;
  return keyOf(all[slot * half + i], exponent);
});
