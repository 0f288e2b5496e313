/**
 * Reboot a node and wait until it is back: the same boot, seen through /proc/uptime, proves the
 * reboot really happened (a reconnect alone could reach the node before it went down).
 */
import type { NodeHandle } from '../src/engine/types.js';
import { AnvilError } from '../src/errors.js';
import { sleep } from '../src/util/sleep.js';
import { clock } from '../src/util/clock.js';

async function uptime(node: NodeHandle): Promise<number | undefined> {
  try {
    const r = await node.exec('cat /proc/uptime', { timeoutMs: 15_000 });
    const up = Number(r.stdout.trim().split(/\s+/)[0]);
    return r.code === 0 && Number.isFinite(up) ? up : undefined;
  } catch {
    return undefined; // NOTE: connection lost: the node is on its way down
  }
}

/** Reboot `node` (detached, so the command returns) and wait for it to come back, within `timeoutMs`. */
export async function rebootAndWait(
  node: NodeHandle,
  log: (m: string) => void,
  timeoutMs = 20 * 60_000,
): Promise<void> {
  const name = node.plan.name;
  if (!node.waitForReconnect) throw new AnvilError(`${name}: rebooting is needed; reboot it, then resume`);
  const before = await uptime(node);
  const t0 = clock().now();
  log(`${name}: rebooting`);
  await node.exec('nohup sh -c "sleep 1; reboot" >/dev/null 2>&1 &');
  const deadline = t0 + timeoutMs;
  for (;;) {
    if (clock().now() > deadline)
      throw new AnvilError(
        `${name}: not back from the reboot within ${Math.round(timeoutMs / 1000)} s`,
        'check the node on its console, then resume',
      );
    await sleep(1_000);
    try {
      await node.waitForReconnect(Math.max(1_000, deadline - clock().now()));
    } catch {
      continue;
    }
    const up = await uptime(node);
    // NOTE: back up, with a fresh boot (uptime smaller than it would be without a reboot).
    if (up !== undefined && (before === undefined || up < before + (clock().now() - t0) / 1000 - 0.5)) {
      log(`${name}: back after the reboot`);
      return;
    }
  }
}
