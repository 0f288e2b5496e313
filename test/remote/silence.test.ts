/**
 * No long silences: when a node stops answering in the middle of a command, the session says so
 * within a few keepalive intervals, says it again while it waits, and then gives up with a clear
 * error. A TCP relay on 127.0.0.1 stands between the session and a real sshd and can be frozen
 * (bytes held, nothing closed), as a node that hangs or a cable pulled mid-way would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket, type AddressInfo } from 'node:net';
import { startLocalSshd, type LocalSshd } from '../../src/bench/local-sshd.js';
import { ConnectionLost } from '../../src/remote/errors.js';
import { noSshd, removeTempStates, sessionTo } from './sshd-fixture.js';

/** A relay that forwards until frozen; frozen, it drops every byte in both directions and closes nothing. */
function relay(to: { host: string; port: number }): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  let frozen = false;
  const socks: Socket[] = [];
  const srv: Server = createServer((a) => {
    const b = connect(to.port, to.host);
    socks.push(a, b);
    a.on('data', (d) => frozen || b.write(d));
    b.on('data', (d) => frozen || a.write(d));
    a.on('error', () => undefined);
    b.on('error', () => undefined);
    a.on('close', () => b.destroy());
    b.on('close', () => a.destroy());
  });
  return new Promise((res) =>
    srv.listen(0, '127.0.0.1', () =>
      res({
        port: (srv.address() as AddressInfo).port,
        freeze: () => void (frozen = true),
        close: () => new Promise<void>((r) => (socks.forEach((s) => s.destroy()), srv.close(() => r()))),
      }),
    ),
  );
}

describe.skipIf(!!noSshd)('a node that stops answering', () => {
  let sshd: LocalSshd;
  beforeAll(async () => {
    sshd = await startLocalSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
    removeTempStates();
  });

  it('is reported within seconds, while waiting, before the command fails as lost', async () => {
    const r = await relay(sshd);
    const log: string[] = [];
    const s = sessionTo(sshd, {
      port: r.port,
      keepaliveIntervalMs: 300,
      keepaliveCountMax: 3,
      heartbeatMs: 150,
      log: (m) => log.push(m),
    });
    try {
      await s.connect();
      const running = s.exec('sleep 30').then(
        () => 'finished',
        (e: unknown) => e,
      );
      const seenAtFreeze = log.length;
      r.freeze();
      const err = await running;
      expect(err).toBeInstanceOf(ConnectionLost);
      expect((err as Error).message).toContain('`sleep 30`');
      const said = log
        .slice(seenAtFreeze)
        .filter((l) => /^an-node01: no answer for \d+\.\d s while `sleep 30` runs; waiting for the node/.test(l));
      expect(said.length).toBeGreaterThanOrEqual(1);
      // said before the session gave the connection up
      const closedAt = log.findIndex((l) => l.includes('connection to') && l.endsWith('closed'));
      expect(closedAt === -1 || log.indexOf(said[0]) < closedAt).toBe(true);
    } finally {
      await s.close();
      await r.close();
    }
  });
});
