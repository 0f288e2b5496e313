import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { HostKeyMismatch } from '../../src/errors.js';
import { HostKeyRejected, HostKeyUnknown } from '../../src/remote/errors.js';
import {
  addKnownHost,
  fingerprint,
  hostPattern,
  keyType,
  knownKeysFor,
  preferredHostKeyAlgorithms,
  verifyHostKey,
} from '../../src/remote/host-keys.js';
import { generateEd25519 } from '../../src/remote/ed25519.js';

const made: string[] = [];
const tempState = () => {
  const d = mkdtempSync(join(tmpdir(), 'anvil-state-'));
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const blobOf = (t: 'ed25519' | 'ecdsa') => {
  const k = t === 'ecdsa' ? utils.generateKeyPairSync('ecdsa', { bits: 256 }) : generateEd25519();
  return Buffer.from(k.public.split(' ')[1], 'base64');
};

describe('host key trust', () => {
  const a = blobOf('ed25519');
  const b = blobOf('ed25519');
  const e = blobOf('ecdsa');

  it('formats fingerprints like OpenSSH and reads the key type from the blob', () => {
    const fp = fingerprint(a);
    expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fp).toBe('SHA256:' + createHash('sha256').update(a).digest('base64').replace(/=+$/, ''));
    expect(keyType(a)).toBe('ssh-ed25519');
    expect(keyType(e)).toBe('ecdsa-sha2-nistp256');
    expect(hostPattern('10.20.0.1', 22)).toBe('10.20.0.1');
    expect(hostPattern('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('pinned fingerprint wins: match passes, anything else is a mismatch naming both', async () => {
    expect(await verifyHostKey({ pinned: fingerprint(a) }, 'h', 22, a)).toBe('pinned');
    const err = await verifyHostKey({ pinned: fingerprint(a), confirm: async () => true }, 'h', 22, b).catch((x) => x);
    expect(err).toBeInstanceOf(HostKeyMismatch);
    expect(err.message).toContain(fingerprint(a));
    expect(err.message).toContain(fingerprint(b));
  });

  it('known_hosts: OpenSSH lines are read per host and port; other lines ignored', async () => {
    const kh = join(tempState(), 'known_hosts');
    writeFileSync(
      kh,
      [
        '# comment',
        `|1|hashed= ssh-ed25519 ${b.toString('base64')}`,
        `@revoked 10.9.9.9 ssh-ed25519 ${b.toString('base64')}`,
        `10.0.0.1,an-node01 ssh-ed25519 ${a.toString('base64')}`,
        `[10.0.0.1]:2222 ssh-ed25519 ${b.toString('base64')}`,
        '',
      ].join('\n'),
    );
    expect(knownKeysFor(kh, '10.0.0.1', 22).map((x) => x.blob.equals(a))).toEqual([true]);
    expect(await verifyHostKey({ knownHostsFile: kh }, '10.0.0.1', 22, a)).toBe('known');
    expect(await verifyHostKey({ knownHostsFile: kh }, 'an-node01', 22, a)).toBe('known');
    expect(await verifyHostKey({ knownHostsFile: kh }, '10.0.0.1', 2222, b)).toBe('known');
    const err = await verifyHostKey({ knownHostsFile: kh }, '10.0.0.1', 22, b).catch((x) => x);
    expect(err).toBeInstanceOf(HostKeyMismatch);
    expect(err.message).toContain(fingerprint(a));
    expect(err.message).toContain(fingerprint(b));
    // a different key type for a known host is a change too
    expect(
      await verifyHostKey({ knownHostsFile: kh, confirm: async () => true }, '10.0.0.1', 22, e).catch((x) => x),
    ).toBeInstanceOf(HostKeyMismatch);
  });

  it('first contact: unattended refuses with a pin hint; confirm yes appends, no refuses', async () => {
    const kh = join(tempState(), 'known_hosts');
    const u = await verifyHostKey({ knownHostsFile: kh }, '10.0.0.2', 22, a).catch((x) => x);
    expect(u).toBeInstanceOf(HostKeyUnknown);
    expect(u.hint).toContain(`nodes[].ssh.hostKey: "${fingerprint(a)}"`);
    expect(u.hint).toContain('/etc/ssh/ssh_host_ed25519_key.pub');
    expect(
      await verifyHostKey({ knownHostsFile: kh, confirm: async () => false }, '10.0.0.2', 22, a).catch((x) => x),
    ).toBeInstanceOf(HostKeyRejected);
    const seen: string[] = [];
    const ok = await verifyHostKey(
      { knownHostsFile: kh, confirm: async (host, fp, type) => (seen.push(`${host} ${type} ${fp}`), true) },
      '10.0.0.2',
      22,
      a,
    );
    expect(ok).toBe('confirmed');
    expect(seen).toEqual([`10.0.0.2 ssh-ed25519 ${fingerprint(a)}`]);
    expect(readFileSync(kh, 'utf8')).toBe(`10.0.0.2 ssh-ed25519 ${a.toString('base64')}\n`);
    expect(await verifyHostKey({ knownHostsFile: kh }, '10.0.0.2', 22, a)).toBe('known');
  });

  it('offers the known key type first so a multi-key node shows the key we hold', () => {
    const kh = join(tempState(), 'known_hosts');
    expect(preferredHostKeyAlgorithms({ knownHostsFile: kh }, 'h', 22)).toBeUndefined();
    addKnownHost(kh, 'h', 22, e);
    expect(preferredHostKeyAlgorithms({ knownHostsFile: kh }, 'h', 22)![0]).toBe('ecdsa-sha2-nistp256');
  });
});
