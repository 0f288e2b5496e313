/**
 * Slow tier (`npm run test:real`): the ssh-keys step's own tasks (keygen commands, authorize and
 * known-hosts runs, over NodeSession/SFTP) on two real OpenSSH sshd nodes in network namespaces
 * (test/real/helpers/sshd-nodes.ts), proved by the step's verify: real node-to-node
 * `ssh -o BatchMode=yes root@NAME uname -n` over every name of both nodes on every network.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeSession, type NodeSessionOptions } from '../../src/remote/node-session.js';
import { fingerprint } from '../../src/remote/host-keys.js';
import { VerifyFailed } from '../../src/errors.js';
import { createNodeHandle } from '../../src/engine/node-handle.js';
import type { NodeHandle, TaskContext } from '../../src/engine/types.js';
import { sshKeys, sshNames } from '../../steps/ssh-keys.js';
import { cleanup, netnsUnavailable } from './helpers/netns.js';
import { startSshdRig, type SshdHost, type SshdRig } from './helpers/sshd-nodes.js';

const skip = netnsUnavailable(['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'unshare', 'getent']);
if (skip) console.log(`[skip] real sshd nodes in network namespaces: ${skip} (apt-get install openssh-server)`);

describe.skipIf(skip)('the ssh-keys step on real sshd nodes', () => {
  let rig: SshdRig;
  const sessions: NodeSession[] = [];
  const state = mkdtempSync(join(tmpdir(), 'anvr-state-'));

  const session = (h: SshdHost, o: Partial<NodeSessionOptions> = {}): NodeSession => {
    const s = new NodeSession({
      name: h.name,
      host: '127.0.0.1',
      port: h.port,
      privateKeyPath: rig.clientKey,
      agent: false,
      hostKeys: { pinned: fingerprint(h.hostKeyBlobs()[1]) },
      backoff: { initialMs: 50, maxMs: 500 },
      ...o,
    });
    sessions.push(s);
    return s;
  };
  const handle = (i: number): NodeHandle =>
    createNodeHandle({ plan: rig.nodes[i].plan, transport: session(rig.nodes[i]), secrets: [] });
  const ctxOf = (node: NodeHandle, peer: NodeHandle, logs: string[] = []): TaskContext => {
    const store = new Map<string, unknown>();
    return {
      plan: rig.plan,
      node,
      peer,
      prompt: {
        confirm: () => Promise.reject(new Error('no prompt expected')),
        input: () => Promise.reject(new Error('no prompt expected')),
        select: () => Promise.reject(new Error('no prompt expected')),
      },
      log: (m) => logs.push(m),
      capture: (k, v) => void store.set(k, v),
      captured: <T>(k: string) => store.get(k) as T | undefined,
    };
  };

  beforeAll(async () => {
    rig = await startSshdRig();
  });
  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await rig?.close().catch(() => undefined);
    await cleanup();
    rmSync(state, { recursive: true, force: true });
  });

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
      for (const c of keygen.commands!(rig.plan, node.plan)) await node.sh(c);
    }
    for (const [node, peer] of pairs) await keygen.verify!(ctxOf(node, peer));
    for (const [node, peer] of pairs) await authorize.run!(ctxOf(node, peer));
    for (const [node, peer] of pairs) await authorize.verify!(ctxOf(node, peer));
    const logs: string[] = [];
    for (const [node, peer] of pairs) await known.run!(ctxOf(node, peer, logs));
    for (const [node, peer] of pairs) {
      const ev = await known.verify!(ctxOf(node, peer));
      const names = rig.plan.nodes.flatMap(sshNames).length;
      expect(ev.summary).toBe(`${names} names reached from ${node.plan.name} without password or prompt`);
    }
    // NOTE: the host keys recorded are the nodes' real ones, read over the verified sessions.
    for (const n of rig.nodes)
      expect(logs.join('\n')).toContain(`${n.name} host key ${fingerprint(n.hostKeyBlobs()[0])}`);
  });
});
