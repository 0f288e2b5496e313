/**
 * rgmanager for VMs (tutorial 3859-5351, issue 9): vm: services added by a config push, adoption of
 * running guests, live migration, withdrawal and rejoin with nofailback, guest crashes with
 * max_restarts/restart_expire_time, node crashes with takeover after the fence, cold stop and start,
 * and save/restore of the world with rgmanager's timers pending.
 */
import { describe, expect, it } from 'vitest';
import { conf, flush, pass, run, syslog, VMS, type FakeCluster } from './fakes.js';
import { pair, RG_VIRSH_TEST_LAB, type FakeVirt } from './fake-virsh.js';
import { bootsBack, tutorial } from '../helpers.js';
import { createWorld, type World } from '../../../src/lab/world.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { rgmanager } from '../../../src/lab/cluster/rgmanager/model.js';

const N1 = 'an-node01.alteeve.ca';
const N2 = 'an-node02.alteeve.ca';
const HOME: Record<string, string> = { 'vm0001-dev': N1, 'vm0002-web': N1, 'vm0003-db': N2, 'vm0004-ms': N2 };
const sv = (id: string, owner: string, st: string) => ` ${id.padEnd(30)} ${owner.padEnd(30)} ${st.padEnd(14)}`;
const virt = (w: World) => w.sub<FakeVirt>('fakevirt')!;

/** clustat compared with the tutorial's lines [from, to], whitespace-insensitively (its copy lost spaces). */
function likeTutorial(out: string, from: number, to: number): void {
  if (!tutorial) return;
  const norm = (l: string) => l.trim().replace(/\s+/g, ' ');
  const want = tutorial.slice(from, to).map(norm);
  want[want.length - 1] = want[want.length - 1].replace(
    /^(.*?(started|stopped|disabled|failed|Offline|rgmanager))\S.*$/,
    '$1',
  );
  const got = out
    .split('\n')
    .filter((l) => l.trim())
    .slice(1)
    .map(norm);
  expect(got).toEqual(want);
}

/** Define the four guests on both nodes (libvirtd runs once the storage services started). */
async function defineAll(n1: LabNode, n2: LabNode): Promise<void> {
  for (const n of [n1, n2])
    for (const vm of VMS) expect((await run(n, `virsh define /shared/definitions/${vm}.xml`)).code).toBe(0);
}

/** The cluster of step 19's end: v12 running, storage started, the four VMs on their home nodes. */
async function ideal(): Promise<{ w: World; n1: LabNode; n2: LabNode }> {
  const p = await pair('vms');
  for (const n of [p.n1, p.n2]) await run(n, '/etc/init.d/rgmanager start');
  await pass(p.w, 5000);
  await defineAll(p.n1, p.n2);
  for (const vm of VMS) expect((await run(p.n1, `clusvcadm -e vm:${vm} -m ${HOME[vm]}`)).code).toBe(0);
  return p;
}

describe('rgmanager for VMs (tutorial 3859-5351)', () => {
  it('a pushed config adds vm: services disabled; -e -m adopts the running guests without restarting them (4062-4152)', async () => {
    const { w, n1, n2 } = await pair('storage');
    for (const n of [n1, n2]) await run(n, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    await defineAll(n1, n2);
    for (const vm of VMS) expect((await run(HOME[vm] === N1 ? n1 : n2, `virsh start ${vm}`)).code).toBe(0);
    n1.fs.writeFile('/etc/cluster/cluster.conf', conf('vms'));
    await pass(w, 3000);
    // NOTE: edited but not pushed: rgmanager runs what cman runs.
    expect(syslog(n1)).not.toContain('Reconfiguring');
    w.sub<FakeCluster>('cluster')!.push(n1);
    await pass(w, 2000);
    const added = [
      'Reconfiguring',
      ...VMS.flatMap((vm) => [
        `Initializing vm:${vm}`,
        `vm:${vm} was added to the config, but I am not initializing it.`,
      ]),
    ];
    expect(syslog(n1).slice(-9)).toEqual(added);
    if (tutorial)
      expect(
        tutorial.slice(4098, 4107).map((l) => l.replace(/^.*rgmanager\[\d+\]: /, '').replace(/(it\.).*$/, '$1')),
      ).toEqual(added);
    let r = await run(n1, 'clustat');
    expect(r.out).toContain(VMS.map((vm) => sv(`vm:${vm}`, '(none)', 'disabled')).join('\n') + '\n');
    likeTutorial(r.out, 4108, 4121);
    expect(await run(n1, 'clusvcadm -e vm:vm0001-dev -m an-node01.alteeve.ca')).toEqual({
      out: 'Member an-node01.alteeve.ca trying to enable vm:vm0001-dev...Success\nvm:vm0001-dev is now running on an-node01.alteeve.ca\n',
      code: 0,
    });
    r = await run(n1, 'clustat');
    likeTutorial(r.out, 4124, 4137);
    for (const vm of ['vm0002-web', 'vm0003-db', 'vm0004-ms'])
      expect((await run(n1, `clusvcadm -e vm:${vm} -m ${HOME[vm]}`)).out).toMatch(
        new RegExp(`\\.\\.\\.Success\\nvm:${vm} is now running on ${HOME[vm]}\\n$`),
      );
    r = await run(n1, 'clustat');
    likeTutorial(r.out, 4139, 4152);
    expect(virt(w).s.starts).toEqual({ 'vm0001-dev': 1, 'vm0002-web': 1, 'vm0003-db': 1, 'vm0004-ms': 1 });
    expect(virt(w).s.doubles).toEqual([]);
    // The vm: prefix is required: without it the name means service:vm0001-dev.
    expect((await run(n1, 'clusvcadm -d vm0001-dev')).out).toBe(
      'Local machine disabling service:vm0001-dev...Service does not exist\n',
    );
  });

  // Source: resource-agents v3.9.2 rgmanager/src/resources/vm.sh do_virsh_start(): `do_status && return 0`
  // checks the local node only, then `virsh create $OCF_RESKEY_xmlfile` (the file found under `path`).
  it('starts a second copy of a guest that runs unmanaged on the other node, as vm.sh does (review L2)', async () => {
    const { w, n1, n2 } = await pair('vms');
    for (const n of [n1, n2]) await run(n, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    await defineAll(n1, n2);
    await run(n2, 'virsh start vm0003-db');
    expect(await run(n1, 'clusvcadm -e vm:vm0003-db -m an-node01.alteeve.ca')).toEqual({
      out: 'Member an-node01.alteeve.ca trying to enable vm:vm0003-db...Success\nvm:vm0003-db is now running on an-node01.alteeve.ca\n',
      code: 0,
    });
    expect(virt(w).s.doubles).toEqual(['vm0003-db@an-node01']);
    expect(virt(w).runningOn('vm0003-db').sort()).toEqual(['an-node01', 'an-node02']);
  });

  it("a vm whose definition is missing under path fails with vm.sh's OCF_ERR_ARGS (2)", async () => {
    const { w, n1, n2 } = await pair('vms');
    for (const n of [n1, n2]) await run(n, '/etc/init.d/rgmanager start');
    await pass(w, 5000);
    await defineAll(n1, n2);
    await run(n1, 'mv /shared/definitions/vm0001-dev.xml /root/');
    expect((await run(n1, 'clusvcadm -e vm:vm0001-dev -m an-node01.alteeve.ca')).code).toBe(255);
    expect(syslog(n1)).toContain('start on vm "vm0001-dev" returned 2 (invalid argument(s))');
    expect(virt(w).s.starts['vm0001-dev']).toBeUndefined();
  });

  it('live migration, withdrawal of a node and its rejoin without failback (4186-4448)', async () => {
    const { w, n1, n2 } = await ideal();
    expect(await run(n1, 'clusvcadm -M vm:vm0001-dev -m an-node02.alteeve.ca')).toEqual({
      out: 'Trying to migrate vm:vm0001-dev to an-node02.alteeve.ca...Success\n',
      code: 0,
    });
    let r = await run(n2, 'clustat');
    likeTutorial(r.out, 4206, 4219);
    expect(await run(n1, 'clusvcadm -M vm:vm0002-web -m an-node02.alteeve.ca')).toEqual({
      out: 'Trying to migrate vm:vm0002-web to an-node02.alteeve.ca...Success\n',
      code: 0,
    });
    expect(syslog(n1)).toContain('Migration of vm:vm0002-web to an-node02.alteeve.ca completed');
    expect(await run(n1, '/etc/init.d/rgmanager stop')).toEqual({
      out: 'Stopping Cluster Service Manager:                          [  OK  ]\n',
      code: 0,
    });
    await run(n1, '/etc/init.d/cman stop');
    await pass(w, 3000);
    r = await run(n2, 'clustat');
    likeTutorial(r.out, 4264, 4277);
    expect(await run(n2, 'clusvcadm -M vm:vm0001-dev -m an-node01.alteeve.ca')).toEqual({
      out: "'an-node01.alteeve.ca' is offline\n",
      code: 1,
    });
    await run(n1, '/etc/init.d/cman start');
    await run(n1, '/etc/init.d/rgmanager start');
    await pass(w, 30_000);
    r = await run(n1, 'clustat');
    // nofailback="1": the VMs stay where they are (4291-4304).
    likeTutorial(r.out, 4291, 4304);
    // The target's storage must run: with storage_an01 disabled libvirtd is down there and virsh migrate fails.
    await run(n1, 'clusvcadm -d storage_an01');
    expect(await run(n2, 'clusvcadm -M vm:vm0001-dev -m an-node01.alteeve.ca')).toEqual({
      out: 'Trying to migrate vm:vm0001-dev to an-node01.alteeve.ca...Failure\n',
      code: 255,
    });
    expect(syslog(n2)).toContain('Migration of vm:vm0001-dev to an-node01.alteeve.ca failed; return code 1');
    expect(rgmanager(w)!.status('vm:vm0001-dev')).toMatchObject({ state: 'started', owner: 'an-node02' });
    await run(n1, 'clusvcadm -e storage_an01');
    for (const vm of ['vm0001-dev', 'vm0002-web'])
      expect((await run(n1, `clusvcadm -M vm:${vm} -m an-node01.alteeve.ca`)).code).toBe(0);
    r = await run(n1, 'clustat');
    likeTutorial(r.out, 4330, 4343);
    expect(virt(w).s.doubles).toEqual([]);
  });

  it('rgmanager stop relocates the guests it still runs to the other member', async () => {
    const { w, n1, n2 } = await ideal();
    await run(n2, '/etc/init.d/rgmanager stop');
    await pass(w, 3000);
    expect(virt(w).runningOn('vm0003-db')).toEqual(['an-node01']);
    expect(syslog(n2).slice(-8)).toEqual([
      'Shutting down',
      'Stopping service vm:vm0003-db',
      'Service vm:vm0003-db is stopped',
      'Stopping service vm:vm0004-ms',
      'Service vm:vm0004-ms is stopped',
      'Stopping service service:storage_an02',
      'Service service:storage_an02 is stopped',
      'Shutdown complete, exiting',
    ]);
    expect(syslog(n1)).toContain('Starting stopped service vm:vm0004-ms');
    expect((await run(n1, 'clustat')).out).toContain(sv('vm:vm0004-ms', N1, 'started'));
  });

  it('a crashed guest is restarted in place twice, then relocated; old restarts expire (4449-4929)', async () => {
    const { w, n1, n2 } = await ideal();
    const before = syslog(n1).length;
    for (let i = 0; i < 3; i++) {
      expect(await run(n1, 'virsh destroy vm0001-dev')).toEqual({ out: 'Domain vm0001-dev destroyed\n\n', code: 0 });
      await pass(w, 12_000);
      if (i < 2) expect(virt(w).runningOn('vm0001-dev')).toEqual(['an-node01']);
    }
    const once = [
      'status on vm "vm0001-dev" returned 7 (unspecified)',
      'Stopping service vm:vm0001-dev',
      'Service vm:vm0001-dev is recovering',
    ];
    expect(syslog(n1).slice(before)).toEqual([
      ...once,
      'Recovering failed service vm:vm0001-dev',
      'Service vm:vm0001-dev started',
      ...once,
      'Recovering failed service vm:vm0001-dev',
      'Service vm:vm0001-dev started',
      ...once,
      'Restart threshold for vm:vm0001-dev exceeded; attempting to relocate',
      'Service vm:vm0001-dev is now running on member 2',
    ]);
    expect(syslog(n2).slice(-2)).toEqual(['Recovering failed service vm:vm0001-dev', 'Service vm:vm0001-dev started']);
    expect(virt(w).runningOn('vm0001-dev')).toEqual(['an-node02']);
    likeTutorial((await run(n2, 'clustat')).out, 4566, 4579);
    // Spaced more than restart_expire_time apart, failures never reach the threshold.
    for (let i = 0; i < 3; i++) {
      await run(n2, 'virsh destroy vm0004-ms');
      await pass(w, 12_000);
      expect(virt(w).runningOn('vm0004-ms')).toEqual(['an-node02']);
      w.advance(600_000);
      await flush(w);
    }
    expect(syslog(n2).filter((l) => l.startsWith('Restart threshold'))).toEqual([]);
    expect(virt(w).s.doubles).toEqual([]);
  });

  it('a crashed node is fenced, then its guests are taken over; they stay when it rejoins (4930-5101)', async () => {
    const { w, n1, n2 } = await ideal();
    for (const n of [n1, n2]) await run(n, 'chkconfig cman on && chkconfig rgmanager on');
    const before = syslog(n2).length;
    w.fault({ kind: 'crash', node: 'an-node01' });
    await pass(w, 3000);
    // NOTE: nothing is taken over before the fence succeeded.
    expect(virt(w).runningOn('vm0001-dev')).toEqual([]);
    expect(syslog(n2).length).toBe(before);
    await pass(w, 3000);
    expect(syslog(n2).slice(before)).toEqual([
      'Marking service:storage_an01 as stopped: Restricted domain unavailable',
      'Taking over service vm:vm0001-dev from down member an-node01.alteeve.ca',
      'Taking over service vm:vm0002-web from down member an-node01.alteeve.ca',
      'Service vm:vm0001-dev started',
      'Service vm:vm0002-web started',
    ]);
    if (tutorial)
      expect([5004, 5005, 5006, 5009, 5012].map((i) => tutorial![i - 1].replace(/^.*rgmanager\[\d+\]: /, ''))).toEqual(
        syslog(n2).slice(before),
      );
    const r = await run(n2, 'clustat');
    expect(r.out).toContain(' an-node01.alteeve.ca                        1 Offline\n');
    expect(r.out).toContain(sv('service:storage_an01', `(${N1})`, 'stopped'));
    // The fenced node reboots (POST, then init); cman and rgmanager start at boot and its storage comes back.
    expect(n1.running).toBe(false);
    await bootsBack(w, n1);
    await pass(w, 25_000);
    expect(n1.isRunning('rgmanager')).toBe(true);
    likeTutorial((await run(n2, 'clustat')).out, 5034, 5047);
    expect(virt(w).s.doubles).toEqual([]);
  });

  it('without nofailback an ordered domain takes its guest back when the better node rejoins (2953-2958)', async () => {
    const { w, n1, n2 } = await ideal();
    const text = conf('vms')
      .replace(/config_version="(\d+)"/, (_m, v: string) => `config_version="${Number(v) + 1}"`)
      .replace(/(name="primary_an01") nofailback="1"/, '$1 nofailback="0"');
    expect(text).toContain('name="primary_an01" nofailback="0"');
    n1.fs.writeFile('/etc/cluster/cluster.conf', text);
    w.sub<FakeCluster>('cluster')!.push(n1);
    await pass(w, 2000);
    expect(syslog(n2)).toContain('Reconfiguring');
    for (const vm of ['vm0001-dev', 'vm0003-db'])
      expect((await run(n2, `clusvcadm -M vm:${vm} -m ${vm === 'vm0001-dev' ? N2 : N1}`)).code).toBe(0);
    await pass(w, 3000);
    // vm0001-dev (primary_an01, failback allowed) goes home; vm0003-db (primary_an02, nofailback) stays.
    expect(syslog(n2)).toContain('Migrating vm:vm0001-dev to better node an-node01.alteeve.ca');
    expect(virt(w).runningOn('vm0001-dev')).toEqual(['an-node01']);
    expect(virt(w).runningOn('vm0003-db')).toEqual(['an-node01']);
  });

  it('cold stop and cold start: disabled VMs come back (none) disabled, storage autostarts (5249-5351)', async () => {
    const { w, n1, n2 } = await ideal();
    for (const n of [n1, n2]) await run(n, 'chkconfig cman on && chkconfig rgmanager on');
    for (const vm of VMS)
      expect(await run(n1, `clusvcadm -d vm:${vm}`)).toEqual({
        out: `Local machine disabling vm:${vm}...Success\n`,
        code: 0,
      });
    likeTutorial((await run(n1, 'clustat')).out, 5270, 5283);
    for (const n of [n1, n2]) expect((await run(n, '/etc/init.d/rgmanager stop')).code).toBe(0);
    for (const n of [n1, n2]) {
      await run(n, '/etc/init.d/cman stop');
      w.fault({ kind: 'power', node: n.name, on: false });
    }
    for (const n of [n1, n2]) w.fault({ kind: 'power', node: n.name, on: true });
    for (const n of [n1, n2]) await bootsBack(w, n);
    await pass(w, 5000);
    likeTutorial((await run(n1, 'clustat')).out, 5315, 5328);
    for (const vm of VMS)
      expect((await run(n1, `clusvcadm -e vm:${vm} -m ${HOME[vm]}`)).out).toMatch(/Success\n.* is now running on /);
    expect(virt(w).s.doubles).toEqual([]);
  });

  it('survives save and restore with its timers pending (status poll, fence wait)', async () => {
    const { w, n1 } = await ideal();
    await run(n1, 'virsh destroy vm0001-dev');
    w.advance(2000);
    await flush(w);
    const saved = JSON.parse(JSON.stringify(w.toJSON())) as { scheduler: { timers: { kind: string }[] } };
    expect(saved.scheduler.timers.filter((t) => t.kind === 'rgmanager.tick').length).toBe(2);
    const w2 = createWorld({ saved, subsystems: RG_VIRSH_TEST_LAB });
    expect(rgmanager(w2)!.toJSON()).toEqual(rgmanager(w)!.toJSON());
    await pass(w2, 12_000);
    expect(syslog(w2.nodes['an-node01']).slice(-2)).toEqual([
      'Recovering failed service vm:vm0001-dev',
      'Service vm:vm0001-dev started',
    ]);
    // A crash saved while the fence is pending: the restored survivor takes over once it is fenced.
    w2.fault({ kind: 'crash', node: 'an-node02' });
    await pass(w2, 2000);
    const w3 = createWorld({ saved: JSON.parse(JSON.stringify(w2.toJSON())), subsystems: RG_VIRSH_TEST_LAB });
    await pass(w3, 6000);
    const n1b = w3.nodes['an-node01'];
    expect(syslog(n1b)).toContain('Taking over service vm:vm0004-ms from down member an-node02.alteeve.ca');
    expect(virt(w3).runningOn('vm0003-db')).toEqual(['an-node01']);
    expect(virt(w3).s.doubles).toEqual([]);
  });
});
