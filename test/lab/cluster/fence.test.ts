import { describe, it, expect } from 'vitest';
import { createWorld } from '../../../src/lab/world.js';
import { clusterView } from '../../../src/lab/cluster/view.js';
import { bootsBack, run, tutorial } from '../helpers.js';
import { POWER_ON_BOOT_MS } from '../../../src/lab/power/power.js';
import { bodies, clusterReady, cmanBoth, logLines, logSince, N1, N2, tutorialWorld } from './helpers.js';

const secs = (l: string) => {
  const m = /(\d\d):(\d\d):(\d\d)/.exec(l)!;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
};
/** Tutorial lines a..b (1-based) without the prose glued after the last one. */
const tut = (a: number, b: number, cut: RegExp) =>
  tutorial!.slice(a - 1, b).map((l) => l.replace(cut, '').replace(/\u00a0/g, ' '));
const noPid = (l: string) => l.replace(/\[\d+\]:/, '[PID]:');
/** Seconds between two syslog lines, within a second (lab time runs on with the wall clock). */
const gap = (a: string, b: string, want: number) => expect(Math.abs(secs(b) - secs(a) - want)).toBeLessThanOrEqual(1);

describe('cluster: the fence tests of tutorial step 10', () => {
  it('hanging a node: the survivor loses it after the token timeout and fences it over IPMI (1757-1764)', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    await cmanBoth(w);
    const mark = logLines(n2);
    const boot1 = n1.bootTime;
    const r = await run(n1, 'echo c > /proc/sysrq-trigger');
    expect(r.code).toBe(255);
    expect(n1.running).toBe(false);
    w.advance(7000);
    expect(bodies(logSince(n2, mark)).some((l) => l.includes('processor failed'))).toBe(false);
    w.advance(32000);
    const lines = logSince(n2, mark);
    const want = [
      'corosync[PID]:   [TOTEM ] A processor failed, forming new configuration.',
      'corosync[PID]:   [QUORUM] Members[1]: 2',
      'corosync[PID]:   [TOTEM ] A processor joined or left the membership and a new membership was formed.',
      'corosync[PID]:   [CPG   ] chosen downlist: sender r(0) ip(10.20.0.2) ; members(old:2 left:1)',
      'corosync[PID]:   [MAIN  ] Completed service synchronization, ready to provide service.',
      'kernel: dlm: closing connection to node 1',
      'fenced[PID]: fencing node an-node01.alteeve.ca',
      'fenced[PID]: fence an-node01.alteeve.ca success',
    ];
    expect(bodies(lines).map(noPid)).toEqual(want);
    if (tutorial) expect(bodies(tut(1757, 1764, /Perfect!$/)).map(noPid)).toEqual(want);
    gap(lines[0], lines[1], 2);
    gap(lines[6], lines[7], 15);
    // the reboot action powered it back on: POST, then it boots without cman (off at boot at this stage)
    expect(n1.power).toBe('on');
    expect(n1.running).toBe(false);
    expect(await bootsBack(w, n1)).toBeGreaterThan(POWER_ON_BOOT_MS - 32000);
    expect(n1.running).toBe(true);
    expect(n1.bootTime).not.toBe(boot1);
    expect((await run(n1, '/etc/init.d/cman status')).code).toBe(3);
    expect((await run(n2, 'cman_tool status | grep ^Nodes')).out).toBe('Nodes: 1\n');
    expect((await run(n1, '/etc/init.d/cman start')).code).toBe(0);
    expect((await run(n2, 'cman_tool status | grep -E "^(Nodes|Cluster Generation)"')).out).toBe(
      'Cluster Generation: 16\nNodes: 2\n',
    );
  }, 60000);

  it('cutting the power: IPMI fails after 20 s (its BMC is dead), the PDU fences (1772-1781)', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    await cmanBoth(w);
    const mark = logLines(n2);
    const off = await run(n2, 'fence_apc_snmp -a pdu2.alteeve.ca -n 1 -o off');
    expect(off).toEqual({ out: 'Success: Powered OFF\n', err: '', code: 0 });
    expect(n1.power).toBe('off');
    expect((await run(n2, 'fence_apc_snmp -a pdu2.alteeve.ca -n 1 -o status')).out).toBe('Status: OFF\n');
    w.advance(45000);
    const lines = logSince(n2, mark);
    const want = [
      'corosync[PID]:   [TOTEM ] A processor failed, forming new configuration.',
      'corosync[PID]:   [QUORUM] Members[1]: 2',
      'corosync[PID]:   [TOTEM ] A processor joined or left the membership and a new membership was formed.',
      'corosync[PID]:   [CPG   ] chosen downlist: sender r(0) ip(10.20.0.2) ; members(old:2 left:1)',
      'corosync[PID]:   [MAIN  ] Completed service synchronization, ready to provide service.',
      'kernel: dlm: closing connection to node 1',
      'fenced[PID]: fencing node an-node01.alteeve.ca',
      'fenced[PID]: fence an-node01.alteeve.ca dev 0.0 agent fence_ipmilan result: error from agent',
      'fenced[PID]: fence an-node01.alteeve.ca success',
    ];
    expect(bodies(lines).map(noPid)).toEqual(want);
    if (tutorial) expect(bodies(tut(1773, 1781, /Hoozah!$/)).map(noPid)).toEqual(want);
    gap(lines[6], lines[7], 20);
    // NOTE: the PDU answers within a second (the tutorial logs both in the same second).
    expect(secs(lines[8]) - secs(lines[7])).toBeLessThanOrEqual(1);
    expect((await run(n2, 'cman_tool nodes -f')).out).toMatch(
      /\n {3}1 {3}X .*an-node01\.alteeve\.ca\n {7}Last fenced: {3}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d by pdu\n {3}2 {3}M /,
    );
    // the PDU's reboot switched the outlet on again: the node boots
    await bootsBack(w, n1);
    expect(n1.running).toBe(true);
    expect((await run(n2, 'fence_apc_snmp -a pdu2.alteeve.ca -n 1 -o status')).out).toBe('Status: ON\n');
  }, 60000);

  it('post_join_delay: a lone cman waits 30 s for its peer, then fences it; two starts in time do not', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    const mark = logLines(n1);
    expect((await run(n1, '/etc/init.d/cman start')).code).toBe(0);
    w.advance(25000);
    expect(logSince(n1, mark).some((l) => l.includes('fencing node'))).toBe(false);
    expect((await run(n1, 'cman_tool status | grep -E "^(Nodes|Total votes|Quorum)"')).out).toBe(
      'Nodes: 1\nTotal votes: 1\nQuorum: 1  \n',
    );
    const boot2 = n2.bootTime;
    w.advance(24000);
    const after = bodies(logSince(n1, mark)).map(noPid);
    expect(after).toContain('fenced[PID]: fencing node an-node02.alteeve.ca');
    expect(after).toContain('fenced[PID]: fence an-node02.alteeve.ca success');
    await bootsBack(w, n2);
    expect(n2.bootTime).not.toBe(boot2);
  }, 60000);

  it('fence agents take their options on stdin as fenced passes them, act on the BMC and outlets, fail like the real ones', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    const st = await run(n1, 'fence_ipmilan', 'ipaddr=an-node02.ipmi\nlogin=root\npasswd=secret\naction=status\n');
    expect(st).toEqual({ out: 'Getting status of IPMI:an-node02.ipmi...Chassis power = On\nDone\n', err: '', code: 0 });
    const t0 = w.now();
    const bad = await run(n1, 'fence_ipmilan', 'ipaddr=an-node02.ipmi\nlogin=root\npasswd=wrong\naction=off\n');
    expect(bad).toEqual({
      out: 'Powering off machine @ IPMI:an-node02.ipmi...Failed\n',
      err: 'ipmilan: Failed to connect after 20 seconds\n',
      code: 1,
    });
    expect(w.now() - t0).toBeGreaterThanOrEqual(20000);
    expect(n2.running).toBe(true);
    // the python agents: stdin names, the tutorial's outputs
    expect(
      await run(n1, 'fence_apc_snmp', 'ipaddr=pdu2.alteeve.ca\nport=2\naction=status\nnodename=an-node02.alteeve.ca\n'),
    ).toEqual({ out: 'Status: ON\n', err: '', code: 0 });
    expect((await run(n1, 'fence_apc_snmp --ip=pdu2.alteeve.ca --plug=2 --action=off')).out).toBe(
      'Success: Powered OFF\n',
    );
    expect(n2.power).toBe('off');
    expect((await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o status')).code).toBe(1);
    expect((await run(n1, 'fence_apc_snmp -a pdu2.alteeve.ca -n 2 -o on')).out).toBe('Success: Powered ON\n');
    await bootsBack(w, n2);
    expect(await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o off')).toEqual({
      out: 'Powering off machine @ IPMI:an-node02.ipmi...Done\n',
      err: '',
      code: 0,
    });
    expect((await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o status')).code).toBe(2);
    expect((await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o on')).out).toBe(
      'Powering on machine @ IPMI:an-node02.ipmi...Done\n',
    );
    expect((await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o status')).code).toBe(0);
    expect(n2.running).toBe(false);
    await bootsBack(w, n2);
    expect(await run(n1, 'fence_apc_snmp -a pdu2.alteeve.ca -o off')).toEqual({
      out: '',
      err: "Failed: You have to enter plug number\nPlease use '-h' for usage\n",
      code: 1,
    });
    // faults: a dead BMC, a dead PDU
    w.fault({ kind: 'bmc', node: N2, up: false });
    expect((await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o status')).out).toBe(
      'Getting status of IPMI:an-node02.ipmi...Chassis power = Unknown\nFailed\n',
    );
    w.fault({ kind: 'pdu', pdu: 'pdu2', up: false });
    expect(await run(n1, 'fence_apc_snmp -a pdu2.alteeve.ca -n 2 -o status')).toEqual({
      out: '',
      err: 'Connection timed out\n',
      code: 1,
    });
    // without a BCN the devices are out of reach
    w.fault({ kind: 'pdu', pdu: 'pdu2', up: true });
    w.fault({ kind: 'cable', node: N1, nic: 'eth0', up: false });
    w.fault({ kind: 'cable', node: N1, nic: 'eth3', up: false });
    expect((await run(n1, 'fence_apc_snmp -a pdu2.alteeve.ca -n 2 -o status')).err).toBe('Connection timed out\n');
  }, 60000);

  it('a miswired outlet: the PDU method fences the wrong node (lab fault outlet)', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    w.fault({ kind: 'outlet', pdu: 'pdu2', port: '1', node: N2 });
    w.fault({ kind: 'outlet', pdu: 'pdu2', port: '2', node: N1 });
    expect((await run(n2, 'fence_apc_snmp -a pdu2.alteeve.ca -n 1 -o off')).out).toBe('Success: Powered OFF\n');
    expect(n2.power).toBe('off');
    expect(n1.running).toBe(true);
  }, 60000);

  it('acpid running: an IPMI power-off is a 4 s graceful shutdown during which the node still runs', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    await run(n2, '/etc/init.d/acpid start');
    await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o off');
    expect(n2.running).toBe(true);
    w.advance(2000);
    expect(n2.running).toBe(true);
    w.advance(2500);
    expect(n2.power).toBe('off');
    // with cman running, the graceful shutdown leaves the cluster: the peer does not fence it
    await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o on');
    await bootsBack(w, n2);
    await run(n2, '/etc/init.d/acpid start');
    await cmanBoth(w);
    const mark = logLines(n1);
    await run(n1, 'fence_ipmilan -a an-node02.ipmi -l root -p secret -o off');
    w.advance(40000);
    expect(n2.power).toBe('off');
    const seen = bodies(logSince(n1, mark));
    expect(seen.filter((l) => /fenc|Members/.test(l)).map(noPid)).toEqual(['corosync[PID]:   [QUORUM] Members[1]: 1']);
  }, 60000);

  it('a node whose BCN bond dies is lost and fenced; the fence survives save and restore of the world', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    await cmanBoth(w);
    const mark = logLines(n1);
    w.fault({ kind: 'cable', node: N2, nic: 'eth0', up: false });
    w.advance(20000);
    expect((await run(n1, 'cman_tool status | grep ^Nodes')).out).toBe('Nodes: 2\n');
    w.fault({ kind: 'cable', node: N2, nic: 'eth3', up: false });
    w.advance(14000);
    expect(bodies(logSince(n1, mark))).toContain(
      'fenced[' + n1.pidOf('fenced') + ']: fencing node an-node02.alteeve.ca',
    );
    expect(clusterView(w)!.pendingFence!(N1)).toEqual([N2]);
    expect(clusterView(w)!.members(N1)).toEqual([N1]);
    expect(clusterView(w)!.quorate(N1)).toBe(true);
    // mid-fence: save, restore, let the timers fire in the restored world
    const saved = JSON.parse(JSON.stringify(w.toJSON()));
    expect(saved.scheduler.timers.some((t: { kind: string }) => t.kind === 'cluster.fence')).toBe(true);
    const v = createWorld({ saved });
    const m1 = v.nodes[N1];
    const before = v.nodes[N2].bootTime;
    v.advance(20000);
    expect(bodies(logSince(m1, mark)).map(noPid)).toContain('fenced[PID]: fence an-node02.alteeve.ca success');
    expect(clusterView(v)!.pendingFence!(N1)).toEqual([]);
    await bootsBack(v, v.nodes[N2]);
    expect(v.nodes[N2].bootTime).not.toBe(before);
    // n2 itself could not reach n1's BMC over its dead BCN: it fenced nobody
    expect(logSince(v.nodes[N2], 0).some((l) => l.includes('fence an-node01.alteeve.ca success'))).toBe(false);
    expect(v.nodes[N1].running).toBe(true);
    void n2;
  }, 60000);

  it('fence_node fences through the cluster configuration', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    await cmanBoth(w);
    const boot = n2.bootTime;
    expect(await run(n1, 'fence_node an-node02.alteeve.ca')).toEqual({
      out: 'fence an-node02.alteeve.ca success\n',
      err: '',
      code: 0,
    });
    await bootsBack(w, n2);
    expect(n2.bootTime).not.toBe(boot);
    w.fault({ kind: 'bmc', node: N2, up: false });
    w.fault({ kind: 'pdu', pdu: 'pdu2', up: false });
    expect((await run(n1, 'fence_node an-node02.alteeve.ca')).out).toBe('fence an-node02.alteeve.ca failed\n');
  }, 60000);
});
