import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { Server } from 'ssh2';
import { AuthFailed } from '../../src/remote/errors.js';
import { fingerprint } from '../../src/remote/host-keys.js';
import { NodeSession } from '../../src/remote/node-session.js';
import { generateEd25519 } from '../../src/remote/ed25519.js';

// NOTE: the loopback OpenSSH has no account with a known password, so password login is tested
// against an ssh2 server (real protocol, 127.0.0.1) that accepts one password.
describe('password login through askPassword', () => {
  const PASSWORD = 'S3cret-' + Math.random().toString(36).slice(2);
  const keys = generateEd25519();
  const blob = Buffer.from(keys.public.split(' ')[1], 'base64');
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    server = new Server({ hostKeys: [keys.private] }, (conn) => {
      conn.on('authentication', (ctx) => {
        if (ctx.method === 'password' && ctx.username === 'root' && ctx.password === PASSWORD) return ctx.accept();
        ctx.reject(['password']);
      });
      conn.on('ready', () =>
        conn.on('session', (accept) =>
          accept().on('exec', (ok, _no, info) => {
            const ch = ok();
            ch.write(`ran: ${info.command}\n`);
            ch.exit(0);
            ch.end();
          }),
        ),
      );
      conn.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  function session(askPassword: (node: string, attempt: number) => Promise<string>, log: string[]): NodeSession {
    return new NodeSession({
      name: 'an-node02',
      host: '127.0.0.1',
      port,
      agent: false,
      askPassword,
      hostKeys: { pinned: fingerprint(blob) },
      log: (m) => log.push(m),
    });
  }

  it('asks for the password by node name and logs in with it', async () => {
    const asked: string[] = [];
    const log: string[] = [];
    const s = session(async (node) => (asked.push(node), PASSWORD), log);
    try {
      expect((await s.exec('hostname')).stdout).toBe('ran: hostname\n');
      expect(asked).toEqual(['an-node02']);
      await s.reconnect(30_000);
      expect((await s.exec('true')).code).toBe(0);
      // not stored: asked again for the new login
      expect(asked).toEqual(['an-node02', 'an-node02']);
      expect(log.join('\n')).not.toContain(PASSWORD);
    } finally {
      await s.close();
    }
  });

  it('three password tries like OpenSSH: two wrong then the right one logs in', async () => {
    const log: string[] = [];
    const attempts: number[] = [];
    const answers = ['nope-1', 'nope-2', PASSWORD];
    const s = session(async (_n, attempt) => (attempts.push(attempt), answers.shift()!), log);
    try {
      expect((await s.exec('true')).code).toBe(0);
      expect(attempts).toEqual([1, 2, 3]);
      expect(log.filter((l) => l === 'an-node02: permission denied, please try again')).toHaveLength(2);
    } finally {
      await s.close();
    }
  });

  it('a wrong password three times fails the login, without echoing it', async () => {
    const wrong = 'wrong-' + PASSWORD;
    const log: string[] = [];
    let calls = 0;
    const s = session(async () => (calls++, wrong), log);
    const err = await s.connect(60_000).catch((e) => e);
    await s.close();
    expect(err).toBeInstanceOf(AuthFailed);
    expect(err.message).toContain('password');
    expect(err.message + (err.hint ?? '') + log.join('\n')).not.toContain(wrong);
    expect(calls).toBe(3);
  });
});
