/**
 * Fast tier: the transport and the SSH steps against real OpenSSH sshd nodes in network namespaces
 * (test/real/helpers/sshd-nodes.ts): NodeSession's host-key trust (first contact asks with the real
 * key's fingerprint, known_hosts then trusts it, a changed key is refused), its reconnect after sshd
 * is restarted and after every sshd process died, ProxyJump through a bastion namespace; the hosts
 * step's verify with real `getent` on each node. The ssh-keys step (node-to-node logins, ~30 s) is in
 * ssh-keys.real.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/remote/host-keys.js';
import { HostKeyMismatch, VerifyFailed } from '../../src/errors.js';
import { hostNames, hosts } from '../../steps/hosts.js';
import { netnsUnavailable } from './helpers/netns.js';
import { useSshdRig } from './helpers/sshd-fixture.js';

const skip = netnsUnavailable(['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'unshare', 'getent']);
if (skip) console.log(`[skip] real sshd nodes in network namespaces: ${skip} (apt-get install openssh-server)`);

describe.skipIf(skip)('real sshd nodes in network namespaces', () => {
  const sshd = useSshdRig();
  const { state, session, handle, ctxOf } = sshd;

  it('first contact shows the real host key’s fingerprint; known_hosts then trusts it without asking', async () => {
    const n1 = sshd.rig.nodes[0];
    const known = join(state, 'known_hosts');
    const asked: string[] = [];
    const s = session(n1, {
      hostKeys: { knownHostsFile: known, confirm: (_h, fp) => Promise.resolve((asked.push(fp), true)) },
    });
    expect((await s.exec('uname -n')).stdout.trim()).toBe(n1.plan.fqdn);
    expect(asked).toHaveLength(1);
    expect(n1.hostKeyBlobs().map((b) => fingerprint(b))).toContain(asked[0]);
    expect(readFileSync(known, 'utf8')).toContain(`[127.0.0.1]:${n1.port}`);
    const again = session(n1, { hostKeys: { knownHostsFile: known } });
    expect((await again.exec('uname -n')).stdout.trim()).toBe(n1.plan.fqdn);
  });

  it('a restarted sshd keeps open sessions; after every sshd process died the session reconnects', async () => {
    const n2 = sshd.rig.nodes[1];
    const log: string[] = [];
    const s = session(n2, { log: (m) => log.push(m) });
    const pid1 = (await s.exec('echo $PPID')).stdout.trim();
    await n2.stopListener();
    await n2.start();
    // NOTE: OpenSSH's restart replaces the listener only; the running session is untouched.
    expect((await s.exec('uname -n')).stdout.trim()).toBe(n2.plan.fqdn);
    await n2.killAll();
    // NOTE: on a loaded machine the client may not have seen the close yet; a command sent into a
    // connection that is dying has an unknown fate and is rightly not sent again, so wait for the close.
    for (let i = 0; i < 250 && !/closed/.test(log.join('\n')); i++) await new Promise((r) => setTimeout(r, 20));
    await n2.start();
    const r = await s.exec('echo $PPID');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).not.toBe(pid1);
    expect(log.join('\n')).toMatch(/closed|reconnect/i);
  });

  it('a host key changed behind a known_hosts entry is refused (HostKeyMismatch)', async () => {
    const n2 = sshd.rig.nodes[1];
    const known = join(state, 'known_hosts.n2');
    const first = session(n2, { hostKeys: { knownHostsFile: known, confirm: () => Promise.resolve(true) } });
    await first.exec('true');
    await first.close();
    await n2.killAll();
    await n2.start({ newHostKey: true });
    const s = session(n2, { hostKeys: { knownHostsFile: known } });
    await expect(s.exec('true')).rejects.toBeInstanceOf(HostKeyMismatch);
  });

  it('ProxyJump: through the bastion namespace to each node by its BCN name', async () => {
    const bastion = session(sshd.rig.bastion, {
      hostKeys: { pinned: fingerprint(sshd.rig.bastion.hostKeyBlobs()[1]) },
    });
    for (const n of sshd.rig.nodes) {
      const known = join(state, `known_hosts.jump.${n.name}`);
      const s = session(n, {
        host: `${n.plan.name}.bcn`,
        port: 22,
        jump: bastion,
        hostKeys: { knownHostsFile: known, confirm: () => Promise.resolve(true) },
      });
      const r = await s.exec('uname -n; echo $SSH_CLIENT');
      const [name, client] = r.stdout.trim().split('\n');
      expect(name).toBe(n.plan.fqdn);
      // NOTE: the node sees the bastion as its client, not the operator: the hop is real.
      expect(client.split(' ')[0]).toBe(sshd.rig.bastion.addr);
      expect(client.split(' ')[0]).not.toBe(sshd.rig.operatorAddr);
      expect(readFileSync(known, 'utf8')).toMatch(new RegExp(`^${n.plan.name}\\.bcn `, 'm'));
    }
  });

  it('the hosts step’s verify passes with real getent on each node, and names a wrong entry', async () => {
    const task = hosts.tasks[0];
    const [h1, h2] = [handle(0), handle(1)];
    for (const [node, peer] of [
      [h1, h2],
      [h2, h1],
    ]) {
      const ev = await task.verify!(ctxOf(node, peer));
      expect(ev.summary).toBe(`${hostNames(sshd.rig.plan).length} names resolve as planned`);
    }
    const file = join(sshd.rig.nodes[0].dir, 'hosts');
    const good = readFileSync(file, 'utf8');
    try {
      // NOTE: written in place: the node's /etc/hosts is a bind mount of this file.
      writeFileSync(file, good.replace(/^10\.10\.0\.2\t/m, '10.10.0.99\t'));
      await expect(task.verify!(ctxOf(h1, h2))).rejects.toThrow(/an-node02\.sn -> 10\.10\.0\.99/);
      await expect(task.verify!(ctxOf(h1, h2))).rejects.toBeInstanceOf(VerifyFailed);
    } finally {
      writeFileSync(file, good);
    }
  });
});
