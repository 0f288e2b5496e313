/**
 * The network redundancy tests, run by the tool (tutorial "Testing Network Redundancy"): for each
 * network (IFN, SN, BCN) and each node, fail the bond's primary link and watch the backup take over,
 * restore it and check the primary returns only after the updelay, then fail the backup while the
 * primary waits out its updelay and check the primary takes over at once; then cut and restore each
 * switch. Cables and switches are moved by the operator's hands (the lab's faults on the lab); every
 * effect is confirmed on the node, so a wrong cable is caught. The cluster must see nothing: no fence,
 * the same membership generation, both nodes members throughout.
 */
import type { DriveContext, Evidence, NodeHandle } from '../src/engine/types.js';
import type { Bond, NetName, PlanNode } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { parseBonding, type BondStatus } from '../src/verify/bonding.js';
import { sleep } from '../src/util/sleep.js';
import { markSyslog, syslogSince } from './syslog.js';
import { cmanStatus, ensureBothMembers, ensureNodesUp, handleOf, until } from './cluster-ops.js';

/** The tutorial's test order: "For each network; IFN, SN and BCN". */
export const NET_TEST_ORDER: readonly NetName[] = ['ifn', 'sn', 'bcn'];

const TASK = 'net-tests.run';

/** Waits of the network tests beyond the bonding updelay (install clock). */
export const NET_TIMING = { failoverMs: 30_000, settleExtraMs: 60_000, stableMs: 300_000 };

/** The NIC that tells which switch is meant: node 1's BCN link `i` (0 primary, 1 backup). */
const via = (ctx: DriveContext, i: 0 | 1) => ({
  node: ctx.plan.nodes[0].name,
  nic: ctx.plan.nodes[0].bonds.find((b) => b.net === 'bcn')!.slaves[i],
});

async function bondState(h: NodeHandle, b: Bond): Promise<BondStatus> {
  const text = await h.readFile(`/proc/net/bonding/${b.dev}`);
  if (text === null) throw new VerifyFailed(TASK, h.plan.name, `/proc/net/bonding/${b.dev}`, 'no such file');
  return parseBonding(text);
}

const mii = (s: BondStatus, nic: string) => s.slaves.find((x) => x.name === nic)?.mii ?? 'missing';
const failures = (s: BondStatus, nic: string) => s.slaves.find((x) => x.name === nic)?.linkFailures ?? 0;
const show = (s: BondStatus) =>
  `active ${s.active ?? 'None'}; ${s.slaves.map((x) => `${x.name} ${x.mii} (failures ${x.linkFailures})`).join(', ')}`;

/** Poll a bond until `ok`; fail with what was seen when it does not happen in time. */
async function expectBond(
  h: NodeHandle,
  b: Bond,
  want: string,
  ok: (s: BondStatus) => boolean,
  timeoutMs: number,
): Promise<BondStatus> {
  // NOTE: a failover is watched closely; a wait for the updelay (minutes) needs no one-second polls.
  const s = await until(
    async () => {
      const st = await bondState(h, b);
      return ok(st) ? st : undefined;
    },
    timeoutMs,
    timeoutMs > 60_000 ? 5_000 : 1_000,
  );
  if (s) return s;
  throw new VerifyFailed(TASK, h.plan.name, `${b.dev}: ${want}`, show(await bondState(h, b)));
}

/** After a pull of `nic`: it must be that NIC that went down (the operator may have pulled another). */
async function confirmPulled(ctx: DriveContext, n: PlanNode, b: Bond, nic: string): Promise<void> {
  const h = handleOf(ctx, n);
  const s = await until(
    async () => {
      const st = await bondState(h, b);
      return mii(st, nic) === 'down' ? st : undefined;
    },
    NET_TIMING.failoverMs,
    1_000,
  );
  if (s) return;
  const others: string[] = [];
  for (const ob of n.bonds)
    for (const x of (await bondState(h, ob)).slaves) if (x.mii !== 'up') others.push(`${ob.dev}/${x.name}`);
  throw new VerifyFailed(
    TASK,
    n.name,
    `${nic} (${b.dev}) loses its link`,
    others.length
      ? `${nic} is still up; down instead: ${others.join(', ')} — the wrong cable was pulled`
      : `${nic} is still up`,
  );
}

/** The three link tests of one bond on one node; returns the evidence line. */
async function testBond(ctx: DriveContext, n: PlanNode, b: Bond): Promise<string> {
  const h = handleOf(ctx, n);
  const upd = ctx.plan.bonding.updelay;
  const [primary, backup] = b.slaves;
  const settle = upd + NET_TIMING.settleExtraMs;
  const base = await expectBond(
    h,
    b,
    `on its primary ${primary}, both links up before the test`,
    (s) => s.active === primary && s.slaves.every((x) => x.mii === 'up'),
    settle,
  );
  // 1. the active link fails: the backup takes over
  await ctx.hands.cable(n.name, primary, 'down', `${b.dev}'s active link`);
  await confirmPulled(ctx, n, b, primary);
  await expectBond(h, b, `fails over to ${backup}`, (s) => s.active === backup, NET_TIMING.failoverMs);
  // 2. it returns: used again only after the updelay
  await ctx.hands.cable(n.name, primary, 'up');
  await sleep(Math.floor(upd / 2));
  const mid = await bondState(h, b);
  if (mid.active === primary)
    throw new VerifyFailed(
      TASK,
      n.name,
      `${b.dev} stays on ${backup} until ${primary}'s updelay (${upd} ms) has passed`,
      `back on ${primary} after ${Math.floor(upd / 2000)} s`,
    );
  await expectBond(
    h,
    b,
    `back on ${primary} after the updelay`,
    (s) => s.active === primary && s.slaves.every((x) => x.mii === 'up'),
    settle,
  );
  // 3. primary out and back, then the backup fails inside the updelay: the primary takes over at once
  await ctx.hands.cable(n.name, primary, 'down', 'again');
  await confirmPulled(ctx, n, b, primary);
  await expectBond(h, b, `fails over to ${backup}`, (s) => s.active === backup, NET_TIMING.failoverMs);
  await ctx.hands.cable(n.name, primary, 'up');
  await sleep(Math.min(5_000, Math.floor(upd / 4)));
  await ctx.hands.cable(n.name, backup, 'down', `the backup link, before ${primary}'s updelay ends`);
  await confirmPulled(ctx, n, b, backup);
  await expectBond(
    h,
    b,
    `resumes on ${primary} at once when ${backup} fails inside the updelay`,
    (s) => s.active === primary,
    NET_TIMING.failoverMs,
  );
  await ctx.hands.cable(n.name, backup, 'up');
  const end = await expectBond(
    h,
    b,
    `on ${primary} with both links up again`,
    (s) => s.active === primary && s.slaves.every((x) => x.mii === 'up'),
    settle,
  );
  return `${n.name} ${b.dev} (${b.net}): ${primary}→${backup} on pull, back on ${primary} after ${upd / 1000} s, ${primary} at once when ${backup} failed; link failures ${primary} ${failures(base, primary)}→${failures(end, primary)}, ${backup} ${failures(base, backup)}→${failures(end, backup)}`;
}

/** Every bond of both nodes: on `want` slave index (0 primary, 1 backup), with `down` slaves down. */
async function expectAllBonds(
  ctx: DriveContext,
  want: 0 | 1,
  downIdx: 0 | 1 | undefined,
  what: string,
  timeoutMs: number,
): Promise<void> {
  for (const n of ctx.plan.nodes)
    for (const b of n.bonds)
      await expectBond(
        handleOf(ctx, n),
        b,
        what,
        (s) =>
          s.active === b.slaves[want] &&
          (downIdx === undefined ? s.slaves.every((x) => x.mii === 'up') : mii(s, b.slaves[downIdx]) === 'down'),
        timeoutMs,
      );
}

/** Both nodes still members, no fence in either syslog since the marks, same membership generation. */
async function clusterQuiet(
  ctx: DriveContext,
  marks: number[],
  generations: (number | undefined)[],
  when: string,
): Promise<void> {
  const nodes = [ctx.node, ctx.peer];
  for (const [i, h] of nodes.entries()) {
    const st = await cmanStatus(h);
    if (st?.nodes !== 2)
      throw new VerifyFailed(
        TASK,
        h.plan.name,
        `the cluster sees nothing ${when} (Nodes: 2)`,
        st ? `Nodes: ${st.nodes}` : 'cman not running',
      );
    if (generations[i] !== undefined && st.generation !== generations[i])
      throw new VerifyFailed(
        TASK,
        h.plan.name,
        `the same cluster membership ${when} (generation ${generations[i]})`,
        `generation ${st.generation}: the membership changed`,
      );
    const fence = (await syslogSince(h, marks[i])).filter((l) => /fencing node|A processor failed/.test(l));
    if (fence.length) throw new VerifyFailed(TASK, h.plan.name, `no fence and no lost node ${when}`, fence.join(' | '));
  }
}

/**
 * The first act of the network tests: every link up and every bond back on its primary. An
 * interrupted attempt may have left a cable out or a switch off: on the lab every cable and switch is
 * put back; on real hardware the operator is asked for each link still down (a whole switch when all
 * of its links are). Then every bond is waited for, with a message. Returns what it did.
 */
async function restoreLinks(ctx: DriveContext): Promise<string[]> {
  const p = ctx.plan;
  const did: string[] = [];
  if (ctx.hands.kind === 'lab') {
    for (const [i, which] of (['primary', 'secondary'] as const).entries())
      await ctx.hands.switchPower(which, 'up', via(ctx, i as 0 | 1));
    for (const n of p.nodes)
      for (const b of n.bonds) for (const nic of b.slaves) await ctx.hands.cable(n.name, nic, 'up');
  }
  const down: { n: PlanNode; nic: string; i: 0 | 1 }[] = [];
  for (const n of p.nodes)
    for (const b of n.bonds) {
      const s = await bondState(handleOf(ctx, n), b);
      for (const [i, nic] of b.slaves.entries()) if (mii(s, nic) !== 'up') down.push({ n, nic, i: i as 0 | 1 });
    }
  const links = p.nodes.reduce((k, n) => k + n.bonds.length, 0);
  for (const [i, which] of (['primary', 'secondary'] as const).entries())
    if (down.filter((d) => d.i === i).length === links) {
      did.push(`${which} switch powered on again`);
      await ctx.hands.switchPower(which, 'up', via(ctx, i as 0 | 1));
      down.splice(0, down.length, ...down.filter((d) => d.i !== i));
    }
  for (const d of down) {
    did.push(`${d.n.name} ${d.nic} plugged back`);
    await ctx.hands.cable(d.n.name, d.nic, 'up', 'left out by an interrupted test');
  }
  const off = [];
  for (const n of p.nodes)
    for (const b of n.bonds) {
      const s = await bondState(handleOf(ctx, n), b);
      if (s.active !== b.slaves[0] || s.slaves.some((x) => x.mii !== 'up')) off.push(`${n.name} ${b.dev}: ${show(s)}`);
    }
  if (off.length) {
    did.push(`waited for ${off.length} bond(s) to return to their primary link`);
    ctx.log(`waiting for every bond to be back on its primary link with both links up: ${off.join('; ')}`);
    await expectAllBonds(
      ctx,
      0,
      undefined,
      'on its primary link with both links up before the tests',
      p.bonding.updelay + NET_TIMING.settleExtraMs,
    );
  }
  return did;
}

/** Drive every link test and both switch tests; the evidence has one line per bond and per switch. */
export async function driveNetTests(ctx: DriveContext): Promise<Evidence> {
  const p = ctx.plan;
  const upd = p.bonding.updelay;
  const details: Record<string, string> = {};
  const restored = await ensureNodesUp(ctx, TASK);
  restored.push(...(await restoreLinks(ctx)));
  await ensureBothMembers(ctx, [ctx.node, ctx.peer]);
  if (restored.length) details.restored = restored.join('; ');
  const nodes = [ctx.node, ctx.peer];
  const marks = await Promise.all(nodes.map((h) => markSyslog(h)));
  const generations = await Promise.all(nodes.map(async (h) => (await cmanStatus(h))?.generation));
  for (const net of NET_TEST_ORDER)
    for (const n of p.nodes) {
      const b = n.bonds.find((x) => x.net === net)!;
      details[`${n.name}.${b.dev}`] = await testBond(ctx, n, b);
      await clusterQuiet(ctx, marks, generations, `while ${n.name}'s ${b.dev} links were failed`);
    }
  // the primary switch: every bond fails over, returns only once the switch moves data
  await ctx.hands.switchPower('primary', 'down', via(ctx, 0));
  await expectAllBonds(ctx, 1, 0, 'on its backup link with the primary switch off', NET_TIMING.failoverMs);
  await clusterQuiet(ctx, marks, generations, 'with the primary switch off');
  await ctx.hands.switchPower('primary', 'up', via(ctx, 0));
  await sleep(Math.floor(upd / 2));
  for (const n of p.nodes)
    for (const b of n.bonds) {
      const s = await bondState(handleOf(ctx, n), b);
      if (s.active === b.slaves[0])
        throw new VerifyFailed(
          TASK,
          n.name,
          `${b.dev} stays on ${b.slaves[1]} until the primary switch has been up for the updelay`,
          show(s),
        );
    }
  await expectAllBonds(
    ctx,
    0,
    undefined,
    'back on its primary link after the primary switch returned',
    upd + NET_TIMING.settleExtraMs,
  );
  await sleep(NET_TIMING.stableMs);
  await expectAllBonds(ctx, 0, undefined, 'still on its primary link five minutes later', NET_TIMING.failoverMs);
  await clusterQuiet(ctx, marks, generations, 'after the primary switch returned');
  details['switch.primary'] =
    `primary switch off: every bond on its backup link, cluster intact; on again: primaries active after ${upd / 1000} s, stable for ${NET_TIMING.stableMs / 60_000} minutes`;
  // the secondary switch: the backup links drop, nothing else moves
  await ctx.hands.switchPower('secondary', 'down', via(ctx, 1));
  await expectAllBonds(
    ctx,
    0,
    1,
    'on its primary link with its backup down (secondary switch off)',
    NET_TIMING.failoverMs,
  );
  await clusterQuiet(ctx, marks, generations, 'with the secondary switch off');
  await ctx.hands.switchPower('secondary', 'up', via(ctx, 1));
  await expectAllBonds(
    ctx,
    0,
    undefined,
    'with both links up after the secondary switch returned',
    upd + NET_TIMING.settleExtraMs,
  );
  await sleep(NET_TIMING.stableMs);
  await clusterQuiet(ctx, marks, generations, 'after the secondary switch returned');
  details['switch.secondary'] =
    `secondary switch off: backup links down, primaries kept; on again: backups up after ${upd / 1000} s, stable for ${NET_TIMING.stableMs / 60_000} minutes`;
  details.cluster = `no fence, no lost node; membership generation ${generations.map((g) => g ?? '?').join('/')} unchanged on both nodes`;
  const bonds = p.nodes.reduce((k, n) => k + n.bonds.length, 0);
  return { summary: `${bonds} bonds × 3 link tests and both switches passed; the cluster saw nothing`, details };
}
