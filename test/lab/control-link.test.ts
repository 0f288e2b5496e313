/**
 * The installer's controller of a lab served by another process keeps one SSH connection to the
 * control endpoint (a channel per command) instead of one connection per wait, and makes a new one
 * after the old one drops. Counted at a TCP relay in front of the endpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { loadAnswers } from '../../src/plan/load.js';
import { startLab, type LabHandle } from '../../src/lab/index.js';
import { remoteController } from '../../src/lab/server/lab-controller.js';

/** A TCP relay to `port` on loopback that counts the connections it accepted and can cut them all. */
async function relay(port: number): Promise<{ server: Server; port: number; accepted: () => number; cut(): void }> {
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((a) => {
    accepted++;
    const b = createConnection({ host: '127.0.0.1', port });
    open.add(a).add(b);
    a.pipe(b).pipe(a);
    for (const s of [a, b]) {
      s.on('error', () => {});
      s.on('close', () => {
        open.delete(s);
        a.destroy();
        b.destroy();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('relay has no port');
  return {
    server,
    port: addr.port,
    accepted: () => accepted,
    cut: () => {
      for (const s of open) s.destroy();
    },
  };
}

describe('remote lab controller', () => {
  const labs: LabHandle[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    for (const l of labs.splice(0)) await l.stop();
  });

  it('sends every wait over one kept connection, and reconnects once after it drops', async () => {
    const lab = await startLab({ answers: loadAnswers('examples/tutorial.anvil.yaml') });
    labs.push(lab);
    const r = await relay(lab.control.port);
    servers.push(r.server);
    const ctl = remoteController({ ...lab.control, port: r.port }, lab.clientKeyPath);
    try {
      await ctl.sync();
      const t0 = ctl.clock.now();
      for (let i = 0; i < 20; i++) await ctl.clock.sleep(60_000);
      // NOTE: lab time moved by the 20 waits (and by the wall clock beside them).
      expect(ctl.clock.now() - t0).toBeGreaterThanOrEqual(20 * 60_000);
      expect(lab.world.now!() - t0).toBeGreaterThanOrEqual(20 * 60_000);
      expect(r.accepted()).toBe(1);

      r.cut();
      await new Promise((res) => setTimeout(res, 50));
      await ctl.clock.sleep(1_000);
      await ctl.fault(['cable', 'an-node01', 'eth0', 'down']);
      expect(r.accepted()).toBe(2);
    } finally {
      ctl.close();
    }
    await expect(ctl.clock.sleep(1)).rejects.toThrow(/lab does not answer/);
    expect(r.accepted()).toBe(2);
  });
});
