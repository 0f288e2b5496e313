/**
 * DRBD 8.3 semantics in the lab: wfc-timeout in lab time, peers over the SN only, refused peers,
 * dual primary, resync with progress, fencing through the cluster when a Primary loses its peer,
 * split brain, create-md on old metadata, and world save/restore with pending timers.
 */
import { describe, expect, it } from 'vitest';
import { cluster, initialised, run, STORAGE_TEST_LAB } from './setup.js';
import { parseProcDrbd } from '../../../src/verify/proc-drbd.js';
import { createWorld } from '../../../src/lab/world.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { bootsBack } from '../helpers.js';

const states = async (n: LabNode) =>
  parseProcDrbd((await run(n, 'cat /proc/drbd')).out).minors.map((m) => `${m.cs} ${m.ro.join('/')} ${m.ds.join('/')}`);
const tick = () => new Promise((r) => setImmediate(r));

describe('DRBD 8.3', () => {
  it('drbd start waits for the peer up to wfc-timeout in lab time, then both become Primary', async () => {
    const { w, n1, n2 } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    let done = false;
    const first = run(n1, '/etc/init.d/drbd start').then((r) => ((done = true), r));
    for (let i = 0; i < 20; i++) await tick();
    expect(done).toBe(false);
    expect(await states(n1)).toEqual([
      'WFConnection Secondary/Unknown UpToDate/DUnknown',
      'WFConnection Secondary/Unknown UpToDate/DUnknown',
      'WFConnection Secondary/Unknown UpToDate/DUnknown',
    ]);
    const second = await run(n2, '/etc/init.d/drbd start');
    expect(second.out).toBe('Starting DRBD resources: [ d(r0) d(r1) d(r2) n(r0) n(r1) n(r2) ].\n');
    const r1 = await first;
    expect(r1.code).toBe(0);
    expect(r1.out).toContain("DRBD's startup script waits for the peer node(s) to appear.");
    for (const n of [n1, n2])
      expect(await states(n)).toEqual(Array(3).fill('Connected Primary/Primary UpToDate/UpToDate'));
    // A clean stop on node 1: node 2 keeps Primary and marks the peer Outdated (3176-3182).
    expect((await run(n1, '/etc/init.d/drbd stop')).out).toBe('Stopping all DRBD resources: .\n');
    expect((await run(n2, '/etc/init.d/drbd status')).out).toBe(
      'drbd driver loaded OK; device status:\nversion: 8.3.12 (api:88/proto:86-96)\nGIT-hash: e2a8ef4656be026bbae540305fcb998a5991090f build by dag@Build64R6, 2011-11-20 10:57:03\nm:res  cs            ro               ds                 p  mounted  fstype\n0:r0   WFConnection  Primary/Unknown  UpToDate/Outdated  C\n1:r1   WFConnection  Primary/Unknown  UpToDate/Outdated  C\n2:r2   WFConnection  Primary/Unknown  UpToDate/Outdated  C\n',
    );
    // It comes back: no resync needed (nothing was written), both Primary again.
    expect((await run(n1, '/etc/init.d/drbd start')).code).toBe(0);
    for (const n of [n1, n2])
      expect(await states(n)).toEqual(Array(3).fill('Connected Primary/Primary UpToDate/UpToDate'));
    void w;
  });

  it('without the peer, start gives up after wfc-timeout (300 s of lab time) and the pending wait survives save/restore', async () => {
    const { w, n1 } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    let done = false;
    const p = run(n1, '/etc/init.d/drbd start').then((r) => ((done = true), r));
    for (let i = 0; i < 20; i++) await tick();
    const saved = JSON.parse(JSON.stringify(w.toJSON()));
    expect(saved.scheduler.timers.map((t: { kind: string }) => t.kind)).toContain('storage.wfc');
    w.advance(299_000);
    for (let i = 0; i < 20; i++) await tick();
    expect(done).toBe(false);
    w.advance(2_000);
    const r = await p;
    expect(r.code).toBe(0);
    // become-primary-on both: Primary alone with UpToDate data.
    expect(await states(n1)).toEqual(Array(3).fill('WFConnection Primary/Unknown UpToDate/DUnknown'));
    const w2 = createWorld({ saved, subsystems: STORAGE_TEST_LAB });
    const m = w2.nodes['an-node01'];
    expect(await states(m)).toEqual(Array(3).fill('WFConnection Secondary/Unknown UpToDate/DUnknown'));
    expect(w2.scheduler.pending().some((t) => t.kind === 'storage.wfc')).toBe(true);
    w2.advance(400_000);
    expect(w2.scheduler.pending().some((t) => t.kind === 'storage.wfc')).toBe(false);
  });

  it('connects over the SN only: a wrong port waits, other net options are refused, a dead SN bond waits', async () => {
    const { n1, n2, w, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    const r0 = n2.fs.readText('/etc/drbd.d/r0.res');
    n2.fs.writeFile('/etc/drbd.d/r0.res', r0.replace('10.10.0.1:7788', '10.10.0.1:7798'));
    const g = n2.fs.readText('/etc/drbd.d/global_common.conf');
    n2.fs.writeFile(
      '/etc/drbd.d/global_common.conf',
      g.replace('after-sb-0pri\t\tdiscard-zero-changes', 'after-sb-0pri\t\tdisconnect'),
    );
    for (const n of [n1, n2]) await ok(n, 'modprobe drbd');
    for (const n of [n1, n2]) await ok(n, 'drbdadm up r0 r1');
    expect((await states(n1)).map((s) => s.split(' ')[0])).toEqual(['WFConnection', 'StandAlone']);
    expect(n1.fs.readText('/var/log/messages')).toContain('block drbd1: incompatible net options with the peer');
    // r2 over a dead SN: both links of bond1 unplugged on node 2.
    n2.fs.writeFile('/etc/drbd.d/global_common.conf', g);
    w.fault({ kind: 'cable', node: 'an-node02', nic: 'eth1', up: false });
    w.fault({ kind: 'cable', node: 'an-node02', nic: 'eth4', up: false });
    w.advance(1000);
    for (const n of [n1, n2]) await ok(n, 'drbdadm up r2');
    expect((await states(n1))[2]).toMatch(/^WFConnection/);
    w.fault({ kind: 'cable', node: 'an-node02', nic: 'eth1', up: true });
    w.advance(130_000);
    expect((await states(n1))[2]).toBe('Connected Secondary/Secondary UpToDate/UpToDate');
  });

  it('dual primary needs allow-two-primaries', async () => {
    const { n1, n2, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    const g = n1.fs.readText('/etc/drbd.d/global_common.conf').replace('\t\tallow-two-primaries;\n', '');
    for (const n of [n1, n2]) {
      n.fs.writeFile('/etc/drbd.d/global_common.conf', g);
      await ok(n, 'modprobe drbd');
      await ok(n, 'drbdadm up r0');
    }
    await ok(n1, 'drbdadm primary r0');
    const r = await run(n2, 'drbdadm primary r0');
    expect(r.code).toBe(11);
    expect(r.err).toBe(
      "0: State change failed: (-1) Multiple primaries not allowed by config\nCommand 'drbdsetup 0 primary' terminated with exit code 11\n",
    );
  });

  it('a Primary that loses its peer freezes I/O, fences it through the cluster, and the peer resyncs when it returns', async () => {
    const { w, n1, n2 } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    // NOTE: this world's cluster is a fake (no cman_tool, no fence_node): the handler DRBD runs is a test
    // script standing in for obliterate-peer.sh whose peer is already down; the real handler against
    // the real cluster is test/lab/storage/fence-peer.test.ts.
    n2.fs.writeFile(
      '/sbin/obliterate-peer.sh',
      '#!/bin/bash\nlogger -t /sbin/obliterate-peer.sh "Local node ID: 2 / Remote node: $DRBD_PEERS"\nexit 7\n',
      0o755,
    );
    await Promise.all([run(n1, '/etc/init.d/drbd start'), run(n2, '/etc/init.d/drbd start')]);
    await run(n1, '/etc/init.d/clvmd start');
    await run(n2, '/etc/init.d/clvmd start');
    w.fault({ kind: 'crash', node: 'an-node01' });
    // the handler is a program running on node 2: give it real time to run
    for (let i = 0; i < 10; i++) {
      await tick();
      await new Promise((r) => setTimeout(r, 10));
    }
    const log = n2.fs.readText('/var/log/messages');
    for (const line of [
      'kernel: block drbd1: PingAck did not arrive in time.',
      'kernel: block drbd1: peer( Primary -> Unknown ) conn( Connected -> NetworkFailure ) pdsk( UpToDate -> DUnknown ) susp( 0 -> 1 ) ',
      'kernel: block drbd1: helper command: /sbin/drbdadm fence-peer minor-1',
      '/sbin/obliterate-peer.sh: Local node ID: 2 / Remote node: an-node01.alteeve.ca',
      'kernel: block drbd1: helper command: /sbin/drbdadm fence-peer minor-1 exit code 7 (0x700)',
      'kernel: block drbd1: fence-peer helper returned 7 (peer was stonithed)',
      'kernel: block drbd1: pdsk( DUnknown -> Outdated ) ',
      'kernel: block drbd1: susp( 1 -> 0 ) ',
    ])
      expect(log).toContain(line);
    expect(await states(n2)).toEqual(Array(3).fill('WFConnection Primary/Unknown UpToDate/Outdated'));
    // Node 2 writes while node 1 is away (a PV label on r1).
    expect((await run(n2, 'pvcreate /dev/drbd1')).code).toBe(0);
    // the stub handler fenced nothing: cut node 1's power as the real fence would, then power it on
    w.fault({ kind: 'power', node: 'an-node01', on: false });
    w.fault({ kind: 'power', node: 'an-node01', on: true });
    await bootsBack(w, n1);
    cluster(w).up.add('an-node01');
    const st = run(n1, '/etc/init.d/drbd start');
    const r = await st;
    expect(r.code).toBe(0);
    w.advance(60_000);
    expect(await states(n1)).toEqual(Array(3).fill('Connected Primary/Primary UpToDate/UpToDate'));
    // The PV written on node 2 while node 1 was down reached node 1 by the resync.
    await run(n1, '/etc/init.d/clvmd start');
    expect((await run(n1, 'pvs --noheadings -o pv_name')).out).toBe('  /dev/drbd1\n');
    expect(n1.fs.readText('/var/log/messages')).toContain('kernel: block drbd1: Began resync as SyncTarget');
  });

  it('a full resync shows its progress in /proc/drbd as lab time passes (5213-5233 format)', async () => {
    const { w, n1, n2, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    await Promise.all([run(n1, '/etc/init.d/drbd start'), run(n2, '/etc/init.d/drbd start')]);
    await ok(n1, 'drbdadm down r0');
    expect((await run(n1, 'drbdadm create-md r0', 'yes\n')).code).toBe(0);
    await ok(n1, 'drbdadm up r0');
    const at0 = (await run(n1, 'cat /proc/drbd')).out;
    expect(at0).toMatch(
      /^ 0: cs:SyncTarget ro:Secondary\/Primary ds:Inconsistent\/UpToDate C r-----\n {4}ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:195157\d\d\n\t\[>\.{19}\] sync'ed: 0\.0% \(195157\d\d\/19515784\)K\n\tfinish: 4:14:\d\d speed: 1,280 \(1,280\) want: 250 K\/sec\n/m,
    );
    w.advance(4 * 3600_000);
    const mid = (await run(n1, 'cat /proc/drbd')).out;
    expect(mid).toMatch(/\t\[=================>\.\.\] sync'ed: 9[0-9]\.\d% \(\d+\/19515784\)K\n/);
    expect((await run(n2, 'cat /proc/drbd')).out).toMatch(
      / 0: cs:SyncSource ro:Primary\/Secondary ds:UpToDate\/Inconsistent C r-----/,
    );
    // Saved mid-resync, restored elsewhere: the resync timer is still pending and completes there.
    const w2 = createWorld({ saved: JSON.parse(JSON.stringify(w.toJSON())), subsystems: STORAGE_TEST_LAB });
    expect(w2.scheduler.pending().map((t) => t.kind)).toContain('storage.drbd-sync-done');
    w2.advance(3600_000);
    expect((await states(w2.nodes['an-node01']))[0]).toBe('Connected Secondary/Primary UpToDate/UpToDate');
    w.advance(3600_000);
    expect((await states(n1))[0]).toBe('Connected Secondary/Primary UpToDate/UpToDate');
  });

  it('split brain: both Primary and both written while apart -> StandAlone, unresolved', async () => {
    const { w, n1, n2, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    await Promise.all([run(n1, '/etc/init.d/drbd start'), run(n2, '/etc/init.d/drbd start')]);
    cluster(w).fenceOk = false;
    for (const n of [n1, n2]) await ok(n, 'drbdadm disconnect r2');
    for (const n of [n1, n2]) await ok(n, '/etc/init.d/clvmd start');
    await ok(n1, 'pvcreate /dev/drbd2');
    await ok(n2, 'pvcreate /dev/drbd2');
    for (const n of [n1, n2]) await ok(n, 'drbdadm connect r2');
    for (const n of [n1, n2]) {
      expect((await states(n))[2]).toBe('StandAlone Primary/Unknown UpToDate/DUnknown');
      expect(n.fs.readText('/var/log/messages')).toContain(
        'kernel: block drbd2: Split-Brain detected but unresolved, dropping connection!',
      );
    }
  });

  it('create-md asks before overwriting old metadata; with EOF on stdin it fails', async () => {
    const { n1 } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    const r = await run(n1, 'drbdadm create-md r0', '');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(
      "Do you really want to overwrite the existing v08 meta-data?\n[need to type 'yes' to confirm] \nOperation cancelled.\n",
    );
    expect(r.err).toBe("Command 'drbdmeta 0 v08 /dev/sda5 internal create-md' terminated with exit code 1\n");
    const y = await run(n1, 'drbdadm create-md r0', 'yes\n');
    expect(y.code).toBe(0);
    expect(y.out).toContain('New drbd meta data block successfully created.');
  });

  it('plays the second cluster (other names, /dev/vda, other ports and minors, 172.16/12 SN)', async () => {
    const { n1, n2 } = await initialised('test/fixtures/other.anvil.yaml');
    await Promise.all([run(n1, '/etc/init.d/drbd start'), run(n2, '/etc/init.d/drbd start')]);
    const st = (await run(n2, '/etc/init.d/drbd status')).out;
    expect(st).toContain(
      'm:res      cs         ro               ds                 p  mounted  fstype\n10:shared  Connected  Primary/Primary  UpToDate/UpToDate  C\n11:vmsa    Connected  Primary/Primary  UpToDate/UpToDate  C\n12:vmsb    Connected  Primary/Primary  UpToDate/UpToDate  C\n',
    );
    expect((await run(n1, 'cat /proc/partitions')).out).toContain(' vda5\n');
  });
});
