/**
 * DRBD's fence-peer handler on the lab with the real cluster (cman, fenced, the fence agents): the file
 * the tool installs is what DRBD runs. Issue 16 point 5: losing one node's Storage Network makes both
 * nodes' DRBD call the handler at once (tutorial 2118-2120, "simultaneous fencing"); rhcs_fence's delay
 * by node ID (digimer/rhcs_fence 0.2.5 `sleep_a_bit()`) leaves node 1 standing.
 */
import { describe, expect, it } from 'vitest';
import { N1, N2 } from '../cluster/helpers.js';
import { run } from '../helpers.js';
import { storageOf } from '../../../src/lab/storage/index.js';
import { dualPrimary, minors, passTime, pullSn } from './fence-peer-setup.js';

describe('fence-peer handlers run as programs (issue 16 point 5)', () => {
  it('rhcs_fence (the default): both SN links of node 2 pulled -> node 1 fences node 2 and stays up, I/O resumes', async () => {
    const { w, n1 } = await dualPrimary('rhcs_fence');
    await pullSn(w, N2);
    expect(w.nodes[N1].running).toBe(true);
    const log = n1.fs.readText('/var/log/messages');
    expect(log).toContain('rhcs_fence: Attempting to fence peer using RHCS from DRBD...');
    expect(log).toMatch(/block drbd0: fence-peer helper returned 7 \(peer was stonithed\)/);
    for (const m of minors(w, N1))
      expect({ susp: m.susp, pds: m.pds, role: m.role }).toEqual({ susp: false, pds: 'Outdated', role: 'Primary' });
    // node 2 was fenced by node 1 (rebooted by its BMC), never the other way round
    expect(log).not.toMatch(/fenced.*an-node01.*success/);
  }, 240_000);

  it("obliterate-peer.sh (the tutorial's): both nodes fence at once, neither waits", async () => {
    const { w } = await dualPrimary('obliterate-peer');
    await pullSn(w, N2);
    const both = [N1, N2].map((n) => w.nodes[n].fs.readText('/var/log/messages'));
    for (const log of both) expect(log).toMatch(/obliterate-peer\.sh: Local node ID: \d \/ Remote node: an-node0\d/);
  }, 240_000);

  it('a handler that is an HTML page (an executable error page saved by the download) leaves I/O frozen', async () => {
    const { w, n1, n2 } = await dualPrimary('rhcs_fence');
    for (const n of [n1, n2])
      n.fs.writeFile('/sbin/rhcs_fence', '<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n', 0o755);
    await pullSn(w, N2);
    expect(w.nodes[N1].running && w.nodes[N2].running).toBe(true);
    expect(n1.fs.readText('/var/log/messages')).toMatch(/block drbd0: fence-peer helper broken, returned [1-9]\d*/);
    for (const m of minors(w, N1)) expect(m.susp).toBe(true);
    expect((await run(n1, 'cat /proc/drbd')).out).toMatch(
      / 0: cs:WFConnection ro:Primary\/Unknown ds:UpToDate\/DUnknown C s----/,
    );
  }, 240_000);

  it('a broken handler leaves I/O frozen only until the peer is back: the reconnect resumes it (8.3 after_state_ch case2)', async () => {
    const { w, n1, n2 } = await dualPrimary('rhcs_fence');
    for (const n of [n1, n2]) n.fs.writeFile('/sbin/rhcs_fence', '#!/bin/bash\nexit 1\n', 0o755);
    await pullSn(w, N2);
    for (const m of minors(w, N1)) expect(m.susp).toBe(true);
    for (const nic of ['eth1', 'eth4']) w.fault({ kind: 'cable', node: N2, nic, up: true });
    await passTime(w, 60);
    const log = n1.fs.readText('/var/log/messages');
    expect(log).toMatch(/block drbd0: fence-peer helper broken, returned 1/);
    for (const n of [N1, N2])
      for (const m of minors(w, n))
        expect({ node: n, minor: m.minor, cs: m.cs, susp: m.susp }).toEqual({
          node: n,
          minor: m.minor,
          cs: 'Connected',
          susp: false,
        });
    expect((await run(n1, 'cat /proc/drbd')).out).toMatch(
      / 0: cs:Connected ro:Primary\/Primary ds:UpToDate\/UpToDate C r-----/,
    );
  }, 240_000);

  it('a handler still running when the peer reconnects: I/O resumes at the reconnect; its later exit 7 outdates nothing', async () => {
    const { w, n1, n2 } = await dualPrimary('rhcs_fence');
    // NOTE: node 2's SN cables go back in 20 s after they were pulled, while the handlers run (`sleep 300`).
    w.schedule(20_000, 'test.replug-sn', null);
    for (const n of [n1, n2]) n.fs.writeFile('/sbin/rhcs_fence', '#!/bin/bash\nsleep 300\nexit 7\n', 0o755);
    const uuid = () => storageOf(w).block(n1, minors(w, N1)[0].disk).md!.uuid;
    const before = uuid();
    await pullSn(w, N2);
    const log = n1.fs.readText('/var/log/messages');
    expect(log).toMatch(/block drbd0: fence-peer helper returned 7 \(peer was stonithed\)/);
    for (const m of minors(w, N1))
      expect({ cs: m.cs, susp: m.susp, pds: m.pds }).toEqual({ cs: 'Connected', susp: false, pds: 'UpToDate' });
    expect(log).not.toMatch(/block drbd0: pdsk\( DUnknown -> Outdated \)/);
    expect(uuid()).toBe(before);
  }, 240_000);
});
