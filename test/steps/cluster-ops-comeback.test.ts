/**
 * The first acts of a driven test after an interrupted attempt (issue 15, point 3): nodes left off are
 * powered on through their fence devices, all at once, only after they were waited for; a node that
 * comes back by itself is not powered on; a fence test waits for a DRBD resync to end.
 */
import { describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan } from '../../src/plan/derive.js';
import type { DriveContext } from '../../src/engine/types.js';
import type { OperatorHands } from '../../src/engine/hands.js';
import { clock } from '../../src/util/clock.js';
import { FakeNode, fakeContext } from '../helpers/fake-node.js';
import { useVirtualClock } from '../helpers/virtual-clock.js';
import { COMEBACK_TIMING, ensureNodesUp, waitNoResync } from '../../steps/cluster-ops.js';

useVirtualClock();
const plan = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));

/** A node that answers only while `on`, and hands that power nodes on (and say when). */
function rig(on: { a: boolean; b: boolean }) {
  const a = new FakeNode(plan.nodes[0]).on('true', () => ({ code: on.a ? 0 : 255 }));
  const b = new FakeNode(plan.nodes[1]).on('true', () => ({ code: on.b ? 0 : 255 }));
  const powered: { node: string; at: number; agents: string[] }[] = [];
  const hands: OperatorHands = {
    kind: 'lab',
    cable: async () => {},
    switchPower: async () => {},
    supplyFile: async () => {},
    powerOn(node, agents) {
      powered.push({ node, at: clock().now(), agents: agents.map((x) => x.shown) });
      if (node === a.plan.name) on.a = true;
      else on.b = true;
      return Promise.resolve();
    },
  };
  const ctx = {
    ...fakeContext(plan, a, b),
    hands,
    lab: true,
    confirmDestructive: () => Promise.resolve(true),
  } as DriveContext & {
    logs: string[];
  };
  return { ctx, powered };
}

describe('ensureNodesUp', () => {
  it('does nothing when both nodes answer', async () => {
    const { ctx, powered } = rig({ a: true, b: true });
    expect(await ensureNodesUp(ctx, 'acceptance.cold-stop-start')).toEqual([]);
    expect(powered).toEqual([]);
  });

  it('powers both nodes on at once, through their first fence method, after waiting for them', async () => {
    const { ctx, powered } = rig({ a: false, b: false });
    const t0 = clock().now();
    const did = await ensureNodesUp(ctx, 'acceptance.cold-stop-start');
    expect(did).toEqual(['waited for an-node01 and an-node02 to come back', 'powered an-node01 and an-node02 on']);
    expect(powered.map((x) => x.node)).toEqual(['an-node01', 'an-node02']);
    expect(powered[0].at).toBe(powered[1].at);
    expect(powered[0].at - t0).toBeGreaterThanOrEqual(COMEBACK_TIMING.allDownMs);
    expect(powered[0].agents).toEqual(['fence_ipmilan -a an-node01.ipmi -l root -p ******** -o on']);
    expect(ctx.logs.join('\n')).toMatch(/an-node01 and an-node02 do not answer .*: waiting up to 60 s/);
    expect(ctx.logs.join('\n')).toContain('powering them on through the fence devices');
  });

  it('waits for one node rebooting after a fence and does not power it on', async () => {
    const state = { a: true, b: false };
    const { ctx, powered } = rig(state);
    const t0 = clock().now();
    ctx.peer.waitForReconnect = () => {
      // NOTE: back two minutes after the test began, as a fenced node rebooting.
      if (clock().now() - t0 > 120_000) state.b = true;
      return Promise.resolve();
    };
    expect(await ensureNodesUp(ctx, 'fence-tests.run')).toEqual(['waited for an-node02 to come back']);
    expect(powered).toEqual([]);
  });

  it('stops with what to do when a node powered on never answers', async () => {
    const { ctx } = rig({ a: true, b: false });
    ctx.hands.powerOn = async () => {};
    await expect(ensureNodesUp(ctx, 'fence-tests.run')).rejects.toThrow(/power it on by hand, then resume/);
  });
});

describe('waitNoResync', () => {
  const synced = ` 0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C r-----
    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0
`;
  const syncing = ` 0: cs:SyncSource ro:Primary/Primary ds:UpToDate/Inconsistent C r-----
    ns:10 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:2048
`;

  it('goes on at once without DRBD or in sync, waits for a resync to end', async () => {
    const { ctx } = rig({ a: true, b: true });
    const a = ctx.node as FakeNode;
    const b = ctx.peer as FakeNode;
    a.on('cat /proc/drbd', { code: 1, stderr: 'cat: /proc/drbd: No such file or directory' });
    b.on('cat /proc/drbd', { code: 1, stderr: 'cat: /proc/drbd: No such file or directory' });
    expect(await waitNoResync(ctx, 'fence-tests.run')).toEqual([]);
    let polls = 0;
    a.on('cat /proc/drbd', () => (++polls < 4 ? syncing : synced));
    b.on('cat /proc/drbd', synced);
    const t0 = clock().now();
    expect(await waitNoResync(ctx, 'fence-tests.run')).toEqual([
      'waited for the DRBD resync on an-node01 (minor 0 SyncSource)',
    ]);
    expect(polls).toBe(4);
    expect(clock().now() - t0).toBeGreaterThan(0);
    a.on('cat /proc/drbd', syncing);
    await expect(waitNoResync(ctx, 'fence-tests.run')).rejects.toThrow(/no DRBD resync under way before the test/);
  });
});
