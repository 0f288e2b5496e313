/**
 * Issue 10, point 5: known_hosts read like OpenSSH: `@revoked` keys refused (even when pinned),
 * `@cert-authority` refused with a message, hashed hosts and wildcard/negated patterns understood,
 * and a known_hosts that is not a file gives a clear error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostKeyMismatch, AnvilError } from '../../src/errors.js';
import { HostKeyCertAuthority, HostKeyRevoked, HostKeyUnknown } from '../../src/remote/errors.js';
import { fingerprint, verifyHostKey } from '../../src/remote/host-keys.js';
import { generateEd25519 } from '../../src/remote/ed25519.js';

const made: string[] = [];
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const file = (text: string) => {
  const d = mkdtempSync(join(tmpdir(), 'anvil-kh-'));
  made.push(d);
  const f = join(d, 'known_hosts');
  writeFileSync(f, text);
  return f;
};
const key = () => {
  const k = generateEd25519();
  return { line: k.public.split(' ').slice(0, 2).join(' '), blob: Buffer.from(k.public.split(' ')[1], 'base64') };
};
const hashed = (pat: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(pat).digest('base64')}`;
};

describe('known_hosts like OpenSSH (issue 10, point 5)', () => {
  const a = key();
  const b = key();

  it('refuses a @revoked key, even when a plain line or a pin vouches for it', async () => {
    const f = file(`node1 ${a.line}\n@revoked * ${a.line}\n`);
    await expect(verifyHostKey({ knownHostsFile: f }, 'node1', 22, a.blob)).rejects.toThrow(HostKeyRevoked);
    await expect(
      verifyHostKey({ knownHostsFile: f, pinned: fingerprint(a.blob) }, 'node1', 22, a.blob),
    ).rejects.toThrow(/is revoked in .*known_hosts; refusing/);
    await expect(verifyHostKey({ knownHostsFile: f, confirm: async () => true }, 'node1', 22, a.blob)).rejects.toThrow(
      HostKeyRevoked,
    );
    // a revoked line for another key does not stop a good one
    const g = file(`node1 ${a.line}\n@revoked node1 ${b.line}\n`);
    expect(await verifyHostKey({ knownHostsFile: g }, 'node1', 22, a.blob)).toBe('known');
    await expect(verifyHostKey({ knownHostsFile: g }, 'node1', 22, b.blob)).rejects.toThrow(HostKeyRevoked);
  });

  it('refuses a host vouched for only by @cert-authority, with a message; a plain line still works beside it', async () => {
    const f = file(`@cert-authority *.example.com ${b.line}\n`);
    await expect(
      verifyHostKey({ knownHostsFile: f, confirm: async () => true }, 'n1.example.com', 22, a.blob),
    ).rejects.toThrow(HostKeyCertAuthority);
    await expect(verifyHostKey({ knownHostsFile: f }, 'n1.example.com', 22, a.blob)).rejects.toThrow(
      /only through an @cert-authority line/,
    );
    const g = file(`@cert-authority *.example.com ${b.line}\nn1.example.com ${a.line}\n`);
    expect(await verifyHostKey({ knownHostsFile: g }, 'n1.example.com', 22, a.blob)).toBe('known');
    // a CA for other hosts is no reason to refuse: first contact as usual
    await expect(verifyHostKey({ knownHostsFile: f }, 'other.org', 22, a.blob)).rejects.toThrow(HostKeyUnknown);
  });

  it('understands hashed hosts, wildcards, negation and [host]:port', async () => {
    const f = file(`${hashed('node1')} ${a.line}\n${hashed('[node2]:2222')} ${b.line}\n`);
    expect(await verifyHostKey({ knownHostsFile: f }, 'node1', 22, a.blob)).toBe('known');
    expect(await verifyHostKey({ knownHostsFile: f }, 'node2', 2222, b.blob)).toBe('known');
    await expect(verifyHostKey({ knownHostsFile: f }, 'node1', 22, b.blob)).rejects.toThrow(HostKeyMismatch);
    const g = file(`an-node0?,!an-node03 ${a.line}\n`);
    expect(await verifyHostKey({ knownHostsFile: g }, 'an-node01', 22, a.blob)).toBe('known');
    await expect(verifyHostKey({ knownHostsFile: g }, 'an-node03', 22, a.blob)).rejects.toThrow(HostKeyUnknown);
    await expect(verifyHostKey({ knownHostsFile: g }, 'an-node011', 22, a.blob)).rejects.toThrow(HostKeyUnknown);
    const h = file(`[10.0.0.*]:2200 ${a.line}\n`);
    expect(await verifyHostKey({ knownHostsFile: h }, '10.0.0.7', 2200, a.blob)).toBe('known');
    await expect(verifyHostKey({ knownHostsFile: h }, '10.0.0.7', 22, a.blob)).rejects.toThrow(HostKeyUnknown);
  });

  it('a known_hosts that is a folder gives a clear error, not a stack trace', async () => {
    const d = mkdtempSync(join(tmpdir(), 'anvil-kh-'));
    made.push(d);
    const f = join(d, 'known_hosts');
    mkdirSync(f);
    const err = await verifyHostKey({ knownHostsFile: f, confirm: async () => true }, 'node1', 22, a.blob).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AnvilError);
    expect((err as Error).message).toMatch(/known_hosts is not a file \(a folder\)/);
  });

  it('skips unknown markers and malformed lines', async () => {
    const f = file(`@weird node1 ${b.line}\nnode1\nnode1 ssh-ed25519\n# node1 ${b.line}\nnode1 ${a.line}\n`);
    expect(await verifyHostKey({ knownHostsFile: f }, 'node1', 22, a.blob)).toBe('known');
  });
});
