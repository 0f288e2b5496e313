/**
 * Cluster operations the driven tests share: reading membership, starting cman where it is down
 * and waiting for both nodes to be members, running a fence agent with its options on stdin, and
 * waiting for a node to come back after a fence or a power cut. Every wait follows the install's
 * clock (lab time on the lab).
 */
import type { NodeHandle, TaskContext } from '../src/engine/types.js';
import type { FenceDeviceAnswers } from '../src/plan/schema.js';
import { AnvilError } from '../src/errors.js';
import { parseCmanStatus, type CmanStatus } from '../src/verify/cman-status.js';
import { q } from '../src/engine/shell.js';
import { until } from './cluster-conf.js';

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
