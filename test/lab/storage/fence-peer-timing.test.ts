/**
 * Issue 16 point 5 in lab time: DRBD runs one fence-peer helper per minor at once (drbd_nl.c
 * `drbd_try_outdate_peer()` -> `drbd_khelper()`), so rhcs_fence's delay by node ID (0.2.5
 * `sleep_a_bit()`: min(30, ID*2+5) s) is spent once per loss, not once per minor; a fenced node stays
 * down through its POST (power/power.ts POWER_ON_BOOT_MS), so a late fence_node finds it still down
 * instead of killing it again after it rejoined. Node IDs 11 and 12 (27 s and 29 s), as in
 * test/fixtures/other.anvil.yaml, where the lab's install used to loop at the node-crash test.
 */
import { describe, expect, it } from 'vitest';
import { CONF_V7, N1, N2 } from '../cluster/helpers.js';
import { bootsBack, run } from '../helpers.js';
import { dualPrimary, minors, passTime } from './fence-peer-setup.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { POWER_ON_BOOT_MS } from '../../../src/lab/power/power.js';

const CONF_IDS_11_12 = CONF_V7.replace('nodeid="1"', 'nodeid="11"').replace('nodeid="2"', 'nodeid="12"');

/** Seconds of a syslog line's time stamp (the lab's clock; both nodes share it). */
const secs = (l: string) => {
  const m = /(\d\d):(\d\d):(\d\d)/.exec(l)!;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
};
const lines = (n: LabNode, re: RegExp) =>
  n.fs
    .readText('/var/log/messages')
    .split('\n')
    .filter((l) => re.test(l));
/** How many times the node's kernel started (boots recorded in its own syslog). */
const boots = (n: LabNode) => lines(n, /kernel: Linux version/).length;

describe('fence-peer handlers in lab time (rhcs_fence, node IDs 11 and 12)', () => {
  it("storage network loss: node 1's three handlers wait 27 s side by side and fence node 2 once; node 1 stays up", async () => {
    const { w, n1, n2 } = await dualPrimary('rhcs_fence', CONF_IDS_11_12);
    const [boot1, boots2] = [n1.bootTime, boots(n2)];
    for (const nic of ['eth1', 'eth4']) w.fault({ kind: 'cable', node: N2, nic, up: false });
    const t0 = Math.floor(w.now() / 1000) % 86400;
    await passTime(w, 12);
    // node 1 fenced node 2 while node 2's own handlers still slept their 29 s: they died with it
    expect(n1.bootTime).toBe(boot1);
    expect(n2.running).toBe(false);
    expect(lines(n2, /fence_node.*success/)).toEqual([]);
    const helpers = lines(n1, /helper command: \/sbin\/drbdadm fence-peer minor-\d$/);
    expect(helpers).toHaveLength(3);
    const fences = lines(n1, /fence_node\[\d+\]: fence an-node02\.alteeve\.ca success/);
    expect(fences).toHaveLength(3);
    // side by side: one delay of 27 s (plus the IPMI agent's run), not three one after another
    const first = secs(helpers[0]);
    for (const f of fences) {
      expect(secs(f) - first).toBeGreaterThanOrEqual(27);
      expect(secs(f) - first).toBeLessThan(27 + 20);
    }
    expect(secs(fences[2]) - secs(fences[0])).toBeLessThanOrEqual(1);
    expect(first - t0).toBeLessThan(15);
    for (const m of minors(w, N1)) expect({ susp: m.susp, pds: m.pds }).toEqual({ susp: false, pds: 'Outdated' });
    // node 2 boots once (after its POST) and nobody fences anybody again
    expect(await bootsBack(w, n2)).toBeGreaterThan(POWER_ON_BOOT_MS - 60_000);
    await passTime(w, 120);
    expect(boots(n2)).toBe(boots2 + 1);
    expect(n1.bootTime).toBe(boot1);
    expect(lines(n1, /fence_node\[\d+\]: fence an-node02\.alteeve\.ca success/)).toHaveLength(3);
    // cman lost node 2 when the handlers powered it off, so node 1's fenced fenced it as well (the lab's
    // fenced counts fence_node's fence only while it is itself fencing that node): node 2 was in POST
    const byFenced = lines(n1, /fenced\[\d+\]: fence an-node02\.alteeve\.ca success/);
    expect(byFenced).toHaveLength(1);
    expect(secs(byFenced[0]) - secs(fences[0])).toBeLessThan(POWER_ON_BOOT_MS / 1000);
  }, 240_000);

  it('node 1 crashes: node 2 fences it (fenced, then its handlers while node 1 is in POST); it boots once, rejoins, no loop', async () => {
    const { w, n1, n2 } = await dualPrimary('rhcs_fence', CONF_IDS_11_12);
    // node 1 comes back by itself, as after the install: cman and DRBD at boot
    for (const c of ['chkconfig cman on', 'chkconfig drbd on']) expect((await run(n1, c)).code).toBe(0);
    const [boots1, boot2] = [boots(n1), n2.bootTime];
    w.fault({ kind: 'crash', node: N1 });
    await passTime(w, 12);
    expect(n2.bootTime).toBe(boot2);
    expect(lines(n2, /fenced\[\d+\]: fence an-node01\.alteeve\.ca success/)).toHaveLength(1);
    const handlerFences = lines(n2, /fence_node\[\d+\]: fence an-node01\.alteeve\.ca success/);
    expect(handlerFences).toHaveLength(3);
    expect(secs(handlerFences[2]) - secs(handlerFences[0])).toBeLessThanOrEqual(1);
    // the handlers' fence_node (29 s) reached node 1 in its POST: it has not booted yet
    expect(n1.running).toBe(false);
    await bootsBack(w, n1);
    await passTime(w, 120);
    expect(boots(n1)).toBe(boots1 + 1);
    expect((await run(n2, 'cman_tool status | grep ^Nodes')).out).toBe('Nodes: 2\n');
    for (const m of minors(w, N2)) expect({ minor: m.minor, cs: m.cs }).toEqual({ minor: m.minor, cs: 'Connected' });
    // after the reconnect no handler ran again: three helpers in all, one loss
    expect(lines(n2, /helper command: \/sbin\/drbdadm fence-peer minor-\d$/)).toHaveLength(3);
    expect(n2.bootTime).toBe(boot2);
  }, 240_000);
});
