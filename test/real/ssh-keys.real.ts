/**
 * Slow tier (`npm run test:real`): the ssh-keys step's own tasks (keygen commands, authorize and
 * known-hosts runs, over NodeSession/SFTP) on two real OpenSSH sshd nodes in network namespaces
 * (test/real/helpers/sshd-nodes.ts), proved by the step's verify: real node-to-node
 * `ssh -o BatchMode=yes root@NAME uname -n` over every name of both nodes on every network.
 */
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/remote/host-keys.js';
import { VerifyFailed } from '../../src/errors.js';
import type { NodeHandle } from '../../src/engine/types.js';
import { sshKeys, sshNames } from '../../steps/ssh-keys.js';
import { netnsUnavailable } from './helpers/netns.js';
import { useSshdRig } from './helpers/sshd-fixture.js';

const skip = netnsUnavailable(['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'unshare', 'getent']);
if (skip) console.log(`[skip] real sshd nodes in network namespaces: ${skip} (apt-get install openssh-server)`);

describe.skipIf(skip)('the ssh-keys step on real sshd nodes', () => {
  const sshd = useSshdRig();
  const { handle, ctxOf } = sshd;

  it('the ssh-keys step on both nodes: each logs in to every name of both nodes with BatchMode=yes', async () => {
    const [h1, h2] = [handle(0), handle(1)];
    const pairs: [NodeHandle, NodeHandle][] = [
      [h1, h2],
      [h2, h1],
    ];
    const [keygen, authorize, known] = sshKeys.tasks;
    // NOTE: before the step, node-to-node ssh is refused (no key, no known host): the verify can fail.
    await expect(known.verify!(ctxOf(h1, h2))).rejects.toBeInstanceOf(VerifyFailed);
    for (const [node] of pairs) {
      expect(await keygen.done!(ctxOf(node, node))).toBe(false);
      for (const c of keygen.commands!(sshd.rig.plan, node.plan)) await node.sh(c);
    }
    for (const [node, peer] of pairs) await keygen.verify!(ctxOf(node, peer));
    for (const [node, peer] of pairs) await authorize.run!(ctxOf(node, peer));
    for (const [node, peer] of pairs) await authorize.verify!(ctxOf(node, peer));
    const logs: string[] = [];
    for (const [node, peer] of pairs) await known.run!(ctxOf(node, peer, logs));
    for (const [node, peer] of pairs) {
      const ev = await known.verify!(ctxOf(node, peer));
      const names = sshd.rig.plan.nodes.flatMap(sshNames).length;
      expect(ev.summary).toBe(`${names} names reached from ${node.plan.name} without password or prompt`);
    }
    // NOTE: the host keys recorded are the nodes' real ones, read over the verified sessions.
    for (const n of sshd.rig.nodes)
      expect(logs.join('\n')).toContain(`${n.name} host key ${fingerprint(n.hostKeyBlobs()[0])}`);
  });
});
