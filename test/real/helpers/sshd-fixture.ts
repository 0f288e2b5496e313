/**
 * The set-up the real-sshd test files share: the rig of two sshd nodes (and a bastion) started before
 * the file's tests and stopped after them, NodeSessions to it pinned to the nodes' real host keys,
 * node handles, a task context that refuses every question, and a scratch state folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { NodeSession, type NodeSessionOptions } from '../../../src/remote/node-session.js';
import { fingerprint } from '../../../src/remote/host-keys.js';
import { createNodeHandle } from '../../../src/engine/node-handle.js';
import type { NodeHandle, TaskContext } from '../../../src/engine/types.js';
import { cleanup } from './netns.js';
import { startSshdRig, type SshdHost, type SshdRig } from './sshd-nodes.js';

/** What a test file gets from {@link useSshdRig}. */
export interface SshdFixture {
  /** The running rig (set by the file's beforeAll). */
  readonly rig: SshdRig;
  /** A scratch folder, removed after the file. */
  readonly state: string;
  /** A session to `h` pinned to its real host key (closed after the file); `o` overrides options. */
  session(h: SshdHost, o?: Partial<NodeSessionOptions>): NodeSession;
  /** A node handle over a new session to node `i`. */
  handle(i: number): NodeHandle;
  /** A task context on `node` with `peer`, its notes into `logs`; any question fails. */
  ctxOf(node: NodeHandle, peer: NodeHandle, logs?: string[]): TaskContext;
}

/** Start the rig for the calling test file (in a describe block, before its tests). */
export function useSshdRig(): SshdFixture {
  let rig: SshdRig | undefined;
  const sessions: NodeSession[] = [];
  const state = mkdtempSync(join(tmpdir(), 'anvr-state-'));
  beforeAll(async () => {
    rig = await startSshdRig();
  });
  afterAll(async () => {
    for (const s of sessions) await s.close().catch(() => undefined);
    await rig?.close().catch(() => undefined);
    await cleanup();
    rmSync(state, { recursive: true, force: true });
  });
  const fixture: SshdFixture = {
    get rig() {
      if (!rig) throw new Error('the sshd rig is not started (useSshdRig runs in beforeAll)');
      return rig;
    },
    state,
    session(h, o = {}) {
      const s = new NodeSession({
        name: h.name,
        host: '127.0.0.1',
        port: h.port,
        privateKeyPath: fixture.rig.clientKey,
        agent: false,
        hostKeys: { pinned: fingerprint(h.hostKeyBlobs()[1]) },
        backoff: { initialMs: 50, maxMs: 500 },
        ...o,
      });
      sessions.push(s);
      return s;
    },
    handle: (i) =>
      createNodeHandle({
        plan: fixture.rig.nodes[i].plan,
        transport: fixture.session(fixture.rig.nodes[i]),
        secrets: [],
      }),
    ctxOf(node, peer, logs = []) {
      const store = new Map<string, unknown>();
      return {
        plan: fixture.rig.plan,
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
    },
  };
  return fixture;
}
