import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalSshd, type LocalSshd } from '../../src/bench/local-sshd.js';
import { HostKeyMismatch } from '../../src/errors.js';
import { ConnectionLost, HostKeyRejected, HostKeyUnknown } from '../../src/remote/errors.js';
import { fingerprint } from '../../src/remote/host-keys.js';
import type { NodeSession } from '../../src/remote/node-session.js';
import { noSshd, removeTempStates, sessionTo, tempState } from './sshd-fixture.js';

/** Resolves when `pred` holds, checked after each log line (an event, not a sleep). */
function logWatcher() {
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: () => void }> = [];
  return {
    lines,
    log: (m: string) => {
      lines.push(m);
      for (const w of [...waiters])
        if (w.re.test(m)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    },
    next: (re: RegExp) => new Promise<void>((resolve) => waiters.push({ re, resolve })),
  };
}

describe.skipIf(!!noSshd)('host keys and reconnects against a real OpenSSH sshd', () => {
  let sshd: LocalSshd;
  const open: NodeSession[] = [];
  const track = (s: NodeSession) => (open.push(s), s);

  beforeAll(async () => {
    sshd = await startLocalSshd();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
    if (!sshd.pid()) await sshd.start();
  });
  afterAll(async () => {
    await sshd?.stop();
    removeTempStates();
  });

  it('computes the fingerprint exactly as ssh-keygen -lf does', () => {
    const r = spawnSync('ssh-keygen', ['-lf', join(sshd.dir, 'ssh_host_ed25519_key.pub')], { encoding: 'utf8' });
    expect(r.stdout.split(' ')[1]).toBe(fingerprint(sshd.hostKeyBlob()));
  });

  it('refuses an unknown key when unattended, with a hint to pin it', async () => {
    const state = tempState();
    const s = track(sessionTo(sshd, { hostKeys: { knownHostsFile: join(state, 'known_hosts') } }));
    const err = await s.connect().catch((e) => e);
    expect(err).toBeInstanceOf(HostKeyUnknown);
    expect(err.message).toContain(fingerprint(sshd.hostKeyBlob()));
    expect(err.hint).toContain('nodes[].ssh.hostKey');
    expect(existsSync(join(state, 'known_hosts'))).toBe(false);
  });

  it('asks on first contact; "no" refuses, "yes" persists the key and is not asked again', async () => {
    const kh = join(tempState(), 'known_hosts');
    const asked: string[] = [];
    const no = track(
      sessionTo(sshd, { hostKeys: { knownHostsFile: kh, confirm: async (_h, fp) => (asked.push(fp), false) } }),
    );
    expect(await no.connect().catch((e) => e)).toBeInstanceOf(HostKeyRejected);
    expect(existsSync(kh)).toBe(false);

    const yes = track(
      sessionTo(sshd, { hostKeys: { knownHostsFile: kh, confirm: async (_h, fp) => (asked.push(fp), true) } }),
    );
    await yes.connect();
    expect((await yes.exec('echo ok')).stdout).toBe('ok\n');
    expect(asked).toEqual([fingerprint(sshd.hostKeyBlob()), fingerprint(sshd.hostKeyBlob())]);
    expect(readFileSync(kh, 'utf8')).toBe(`[127.0.0.1]:${sshd.port} ${sshd.hostKeyLine()}\n`);

    const again = track(
      sessionTo(sshd, {
        hostKeys: {
          knownHostsFile: kh,
          confirm: async () => {
            throw new Error('must not ask');
          },
        },
      }),
    );
    await again.connect();
    expect((await again.exec('echo again')).stdout).toBe('again\n');
  });

  it('does not time the operator out while the host key question is open', async () => {
    const kh = join(tempState(), 'known_hosts');
    // NOTE: the answer comes later than the whole login limit; the limit must not run meanwhile.
    const slowYes = () => new Promise<boolean>((r) => setTimeout(() => r(true), 2500));
    const s = track(sessionTo(sshd, { readyTimeoutMs: 1000, hostKeys: { knownHostsFile: kh, confirm: slowYes } }));
    await s.connect();
    expect((await s.exec('echo patient')).stdout).toBe('patient\n');
  });

  it('stops on a changed host key, showing both fingerprints, and never retries it', async () => {
    const kh = join(tempState(), 'known_hosts');
    const first = track(sessionTo(sshd, { hostKeys: { knownHostsFile: kh, confirm: async () => true } }));
    await first.connect();
    const oldFp = fingerprint(sshd.hostKeyBlob());
    const oldPin = sessionTo(sshd); // pinned to the old key

    await sshd.restart({ newHostKey: true });
    const newFp = fingerprint(sshd.hostKeyBlob());
    expect(newFp).not.toBe(oldFp);

    const viaKnownHosts = track(sessionTo(sshd, { hostKeys: { knownHostsFile: kh, confirm: async () => true } }));
    const e1 = await viaKnownHosts.connect(30_000).catch((e) => e);
    expect(e1).toBeInstanceOf(HostKeyMismatch);
    expect(e1.message).toContain(oldFp);
    expect(e1.message).toContain(newFp);

    track(oldPin);
    const e2 = await oldPin.connect().catch((e) => e);
    expect(e2).toBeInstanceOf(HostKeyMismatch);
    expect(e2.message).toContain(oldFp);
    expect(e2.message).toContain(newFp);

    // the live session's reconnect meets the new key too: refused at once, not retried until the timeout
    const e3 = await first.reconnect(600_000).catch((e) => e);
    expect(e3).toBeInstanceOf(HostKeyMismatch);
    // the known_hosts file was not rewritten
    expect(readFileSync(kh, 'utf8').trim().split('\n')).toHaveLength(1);

    const pinnedNew = track(sessionTo(sshd)); // pinned to the new key
    expect((await pinnedNew.exec('echo pinned')).stdout).toBe('pinned\n');
  });

  it('reconnects after sshd is killed and restarted; an exec sent while down waits for it', async () => {
    const w = logWatcher();
    const s = track(sessionTo(sshd, { log: w.log }));
    expect((await s.exec('echo before')).stdout).toBe('before\n');

    const closed = w.next(/closed/);
    await sshd.kill();
    await closed;
    expect(s.connected).toBe(false);
    // NOTE: the command is queued while the node is down: nothing was sent, so it may be retried.
    const retrying = w.next(/retrying/);
    const pending = s.exec('echo after');
    await retrying;
    await sshd.start();
    expect((await pending).stdout).toBe('after\n');
    expect(w.lines.some((l) => /connected to .* after \d+ attempts/.test(l))).toBe(true);

    // explicit reconnect also works
    await s.reconnect(60_000);
    expect((await s.exec('echo again')).stdout).toBe('again\n');
  });

  it('never re-sends a command that was running when the connection dropped', async () => {
    const marker = join(tmpdir(), `anvil-once-${randomBytes(4).toString('hex')}`);
    const s = track(sessionTo(sshd));
    await s.connect();
    const running = s.exec(`echo ran >> ${marker}; sleep 600`).catch((e) => e);
    // wait for the command to have started (the node's filesystem is this one)
    await expect.poll(() => existsSync(marker), { timeout: 30_000, interval: 20 }).toBe(true);
    await sshd.kill();
    const err = await running;
    expect(err).toBeInstanceOf(ConnectionLost);
    expect(err.message).toContain('not sent again');
    await sshd.start();
    expect((await s.exec('echo next')).stdout).toBe('next\n');
    expect(readFileSync(marker, 'utf8')).toBe('ran\n');
    rmSync(marker);
  });

  it('waitForReboot waits for the node to go away and come back', async () => {
    const w = logWatcher();
    const s = track(sessionTo(sshd, { log: w.log }));
    await s.connect();
    const down = w.next(/down, waiting/);
    const waiting = s.waitForReboot(120_000);
    await sshd.kill();
    await down;
    await sshd.start();
    await waiting;
    expect((await s.exec('echo back')).stdout).toBe('back\n');
  });
});
