/**
 * Cluster operations the driven tests share: reading membership, starting cman where it is down
 * and waiting for both nodes to be members, running a fence agent with its options on stdin, and
 * waiting for a node to come back after a fence or a power cut. Every wait follows the install's
 * clock (lab time on the lab).
 */
import type { DriveContext, NodeHandle, TaskContext } from '../src/engine/types.js';
import type { PowerOnAgent } from '../src/engine/hands.js';
import type { PlanNode } from '../src/plan/derive.js';
import type { FenceDeviceAnswers } from '../src/plan/schema.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import { parseCmanStatus, type CmanStatus } from '../src/verify/cman-status.js';
import { parseProcDrbd } from '../src/verify/proc-drbd.js';
import { q } from '../src/engine/shell.js';
import { fenceAgentCommand, storageService, until } from './cluster-conf.js';
import { clustatService, type Clustat } from '../src/verify/clustat.js';

export { until };

/** The handle of a node (by plan entry or name) among the task's node and its peer. */
export function handleOf(ctx: TaskContext, n: { name: string } | string): NodeHandle {
  const name = typeof n === 'string' ? n : n.name;
  return ctx.node.plan.name === name ? ctx.node : ctx.peer;
}

/** `cman_tool status` of a node; undefined when cman is not running or the node does not answer. */
export async function cmanStatus(node: NodeHandle): Promise<CmanStatus | undefined> {
  try {
    const r = await node.exec('cman_tool status', { timeoutMs: 30_000 });
    return r.code === 0 ? parseCmanStatus(r.stdout) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Start cman on every listed node where it is not running (all at once, as the tutorial insists:
 * within post_join_delay of each other), then wait until each sees both nodes as members.
 */
export async function ensureBothMembers(
  ctx: TaskContext,
  nodes: NodeHandle[],
  timeoutMs = (ctx.plan.cluster.postJoinDelay + 90) * 1000,
): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      if ((await n.exec('/etc/init.d/cman status')).code !== 0)
        await n.sh('/etc/init.d/cman start', { timeoutMs: 300_000 });
    }),
  );
  for (const n of nodes) {
    const s = await until(async () => {
      const st = await cmanStatus(n);
      return st?.nodes === 2 ? st : undefined;
    }, timeoutMs);
    if (!s) {
      const st = await cmanStatus(n);
      throw new AnvilError(
        `${n.plan.name} does not see both nodes in the cluster (${st ? `Nodes: ${st.nodes}` : 'cman not running'}) after ${Math.round(timeoutMs / 1000)} s`,
        'check the BCN links and `cman_tool status` on both nodes',
      );
    }
  }
}

/**
 * Enable, each on its own node, the storage services `c` shows disabled, stopped or failed (a failed
 * one is disabled first, as rgmanager requires): what an interrupted test that stops storage leaves
 * behind. Both at once, as the tutorial asks (the first DRBD waits wfc-timeout for its peer). Returns
 * what it did, in words.
 */
export async function enableStorageLeftOff(ctx: TaskContext, c: Clustat): Promise<string[]> {
  const p = ctx.plan;
  const off = p.nodes.filter((n) =>
    /^(disabled|stopped|failed)$/.test(clustatService(c, `service:${storageService(n)}`)?.state ?? ''),
  );
  await Promise.all(
    off.map(async (n) => {
      const h = handleOf(ctx, n);
      if (clustatService(c, `service:${storageService(n)}`)?.state === 'failed')
        await h.sh(`clusvcadm -d ${storageService(n)}`, { timeoutMs: 600_000 });
      await h.sh(`clusvcadm -e ${storageService(n)} -m ${n.fqdn}`, {
        timeoutMs: (p.storage.drbd.wfcTimeout + 300) * 1000,
      });
    }),
  );
  return off.map((n) => `enabled service:${storageService(n)} on ${n.name}`);
}

/**
 * The `name=value` lines a fence agent reads on stdin (what fenced itself sends): every attribute of
 * the device but its name and agent, the port, and the action. Passwords go this way, never on a
 * command line.
 */
export function agentStdin(device: FenceDeviceAnswers, port: number | string | undefined, action: string): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(device)) {
    if (k === 'name' || k === 'agent' || v === undefined || v === null) continue;
    lines.push(`${k}=${String(v)}`);
  }
  if (port !== undefined) lines.push(`port=${port}`);
  lines.push(`action=${action}`);
  return `${lines.join('\n')}\n`;
}

/** Run a fence agent on `from` against a device (options on stdin). */
export async function runAgent(
  from: NodeHandle,
  device: FenceDeviceAnswers,
  port: number | string | undefined,
  action: 'on' | 'off' | 'reboot' | 'status',
) {
  const r = await from.exec(q(device.agent), { stdin: agentStdin(device, port, action), timeoutMs: 120_000 });
  return { code: r.code, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Whether a node answers a trivial command now (short timeouts: it may be down). */
export async function answers(node: NodeHandle): Promise<boolean> {
  try {
    return (await node.exec('true', { timeoutMs: 5_000 })).code === 0;
  } catch {
    return false;
  }
}

/**
 * Wait for a node that went down (fenced, powered off, rebooted) to answer again, on the install's
 * clock. Reconnect attempts are short: a node still down refuses at once on the lab and times out
 * quickly on real hardware, and lab time moves on between attempts.
 */
export async function waitForNodeBack(node: NodeHandle, timeoutMs: number): Promise<boolean> {
  const back = await until(
    async () => {
      try {
        await node.waitForReconnect?.(1_500);
      } catch {
        return undefined;
      }
      return (await answers(node)) ? true : undefined;
    },
    timeoutMs,
    5_000,
  );
  return back === true;
}

/** How long a driven test waits for a node left down by an interrupted attempt (install clock). */
export const COMEBACK_TIMING = { bootMs: 300_000, allDownMs: 60_000, poweredOnMs: 1_200_000, resyncMs: 3_600_000 };

/** The power-on calls of a node: its first fence method's agents with action=on. */
export function powerOnAgents(n: PlanNode): PowerOnAgent[] {
  return (n.fence[0]?.devices ?? []).map((d) => ({
    agent: d.device.agent,
    stdin: agentStdin(d.device, d.port, 'on'),
    shown: fenceAgentCommand(d.device, d.port, 'on'),
  }));
}

/**
 * The first act of a driven test: every node answers. A node that does not may be booting (fenced or
 * rebooted by an interrupted attempt of a test): it is waited for. One still down was left off (a
 * cold stop, a power cut killed halfway): it is powered on through its fence devices (the hands), all
 * such nodes at once, so that they boot within post_join_delay of each other. Returns what it did.
 */
export async function ensureNodesUp(ctx: DriveContext, task: string): Promise<string[]> {
  const all = ctx.plan.nodes.map((n) => ({ n, h: handleOf(ctx, n) }));
  const down = [];
  for (const x of all) if (!(await answers(x.h))) down.push(x);
  if (!down.length) return [];
  const names = down.map((x) => x.n.name).join(' and ');
  const did = [`waited for ${names} to come back`];
  // NOTE: one node down may be rebooting after a fence (minutes); with every node down nobody fences,
  // they were powered off (a cold stop), and a power-on of a node already booting changes nothing.
  const waitMs = down.length === all.length ? COMEBACK_TIMING.allDownMs : COMEBACK_TIMING.bootMs;
  ctx.log(
    `${names} ${down.length > 1 ? 'do' : 'does'} not answer (an interrupted test may have left ${down.length > 1 ? 'them' : 'it'} rebooting or off): waiting up to ${waitMs / 1000} s`,
  );
  const back = await Promise.all(down.map((x) => waitForNodeBack(x.h, waitMs)));
  const off = down.filter((_, i) => !back[i]);
  if (!off.length) return did;
  const offNames = off.map((x) => x.n.name).join(' and ');
  did.push(`powered ${offNames} on`);
  ctx.log(`${offNames} still down: powering ${off.length > 1 ? 'them' : 'it'} on through the fence devices`);
  const together = { nodes: off.map((x) => x.n.name), postJoinDelay: ctx.plan.cluster.postJoinDelay };
  await Promise.all(off.map((x) => ctx.hands.powerOn(x.n.name, powerOnAgents(x.n), together)));
  const up = await Promise.all(off.map((x) => waitForNodeBack(x.h, COMEBACK_TIMING.poweredOnMs)));
  const still = off.filter((_, i) => !up[i]);
  if (still.length)
    throw new VerifyFailed(
      task,
      still[0].n.name,
      `${still.map((x) => x.n.name).join(' and ')} up before the test`,
      `no answer ${COMEBACK_TIMING.poweredOnMs / 60_000} minutes after power-on: power ${still.length > 1 ? 'them' : 'it'} on by hand, then resume`,
    );
  return did;
}

/** The DRBD resources of a node that are resynchronising now (none when DRBD is not loaded). */
export async function resyncing(node: NodeHandle): Promise<string[]> {
  const r = await node.exec('cat /proc/drbd');
  if (r.code !== 0) return [];
  return parseProcDrbd(r.stdout)
    .minors.filter((m) => /^(Sync|PausedSync|WFBitMap|WFSyncUUID)/.test(m.cs))
    .map((m) => `minor ${m.minor} ${m.cs}`);
}

/**
 * Wait until no DRBD resource of either node resynchronises: a node fenced now would leave its peer
 * with the only good copy mid-resync (a fence test never starts during one). Returns what it waited for.
 */
export async function waitNoResync(ctx: TaskContext, task: string): Promise<string[]> {
  const did: string[] = [];
  for (const h of [ctx.node, ctx.peer]) {
    let seen = await resyncing(h);
    if (!seen.length) continue;
    did.push(`waited for the DRBD resync on ${h.plan.name} (${seen.join(', ')})`);
    ctx.log(`${h.plan.name}: DRBD resynchronising (${seen.join(', ')}): waiting for it to finish`);
    const done = await until(
      async () => {
        seen = await resyncing(h);
        return seen.length ? undefined : true;
      },
      COMEBACK_TIMING.resyncMs,
      5_000,
    );
    if (!done) throw new VerifyFailed(task, h.plan.name, 'no DRBD resync under way before the test', seen.join(', '));
  }
  return did;
}
