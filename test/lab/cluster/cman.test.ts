import { describe, it, expect } from 'vitest';
import { bootsBack, run, tutorial } from '../helpers.js';
import { cmanProblems, parseCmanStatus } from '../../../src/verify/cman-status.js';
import { parseCmanVersion } from '../../../src/verify/cman-version.js';
import { bodies, clusterReady, cmanBoth, CONF_V7, logLines, logSince, N1, tutorialWorld } from './helpers.js';

/** Tutorial lines a..b (1-based), with the next paragraph glued after the last `]` cut off. */
function tut(a: number, b: number): string[] {
  return tutorial!.slice(a - 1, b).map((l) => l.replace(/(\[ {2}OK {2}\]).*$/, '$1'));
}
const noPid = (l: string) => l.replace(/\[\d+\]:/, '[PID]:');

describe('cluster: cman start, membership and cman_tool', () => {
  it('starts cman on both nodes as the tutorial shows; cman_tool status/nodes/version', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    expect((await run(n1, 'ccs_config_validate')).out).toBe('Configuration validates\n');
    expect(await run(n1, 'cman_tool status')).toEqual({
      out: '',
      err: 'cman_tool: Cannot open connection to cman, is it running ?\n',
      code: 1,
    });
    expect((await run(n1, '/etc/init.d/cman status')).code).toBe(3);
    const before = logLines(n1);
    const a = await run(n1, '/etc/init.d/cman start');
    const b = await run(n2, '/etc/init.d/cman start');
    expect(a.code).toBe(0);
    const expected = [
      'Starting cluster: ',
      '   Checking if cluster has been disabled at boot...        [  OK  ]',
      '   Checking Network Manager...                             [  OK  ]',
      '   Global setup...                                         [  OK  ]',
      '   Loading kernel modules...                               [  OK  ]',
      '   Mounting configfs...                                    [  OK  ]',
      '   Starting cman...                                        [  OK  ]',
      '   Waiting for quorum...                                   [  OK  ]',
      '   Starting fenced...                                      [  OK  ]',
      '   Starting dlm_controld...                                [  OK  ]',
      '   Starting gfs_controld...                                [  OK  ]',
      '   Unfencing self...                                       [  OK  ]',
      '   Joining fence domain...                                 [  OK  ]',
    ];
    expect(a.out).toBe(expected.join('\n') + '\n');
    expect(b.out).toBe(a.out);
    if (tutorial) expect(['Starting cluster: ', ...tut(1408, 1419)]).toEqual(expected);

    const status = (await run(n1, 'cman_tool status')).out;
    const want = [
      'Version: 6.2.0',
      'Config Version: 7',
      'Cluster Name: an-cluster-A',
      'Cluster Id: 24561',
      'Cluster Member: Yes',
      'Cluster Generation: 8',
      'Membership state: Cluster-Member',
      'Nodes: 2',
      'Expected votes: 1',
      'Total votes: 2',
      'Node votes: 1',
      'Quorum: 1  ',
      'Active subsystems: 7',
      'Flags: 2node ',
      'Ports Bound: 0  ',
      'Node name: an-node01.alteeve.ca',
      'Node ID: 1',
      'Multicast addresses: 239.192.95.81 ',
      'Node addresses: 10.20.0.1',
    ];
    expect(status).toBe(want.join('\n') + '\n');
    if (tutorial)
      expect(want).toEqual([
        ...tutorial
          .slice(1457 - 1, 1475)
          .map((l, i) => (i === 0 ? l.replace('cman_tool status', '') : i === 18 ? l.replace(/We can see.*/, '') : l)),
      ]);
    expect((await run(n2, 'cman_tool status | grep -E "^Node (name|ID|addresses)"')).out).toBe(
      'Node name: an-node02.alteeve.ca\nNode ID: 2\nNode addresses: 10.20.0.2\n',
    );
    expect((await run(n2, 'cman_tool version')).out).toBe('6.2.0 config 7\n');
    // the installer's own parsers read what the lab prints
    expect(
      cmanProblems(parseCmanStatus(status), {
        clusterName: 'an-cluster-A',
        nodeName: 'an-node01.alteeve.ca',
        minConfigVersion: 7,
      }),
    ).toEqual([]);
    expect(parseCmanVersion((await run(n1, 'cman_tool version')).out)).toEqual({ version: '6.2.0', config: 7 });
    expect((await run(n1, '/etc/init.d/cman status')).out).toBe('cluster is running.\n');
    expect((await run(n1, 'cman_tool nodes')).out).toMatch(
      /^Node {2}Sts {3}Inc {3}Joined {15}Name\n {3}1 {3}M {6}4 {3}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}an-node01\.alteeve\.ca\n {3}2 {3}M {6}8 {3}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}an-node02\.alteeve\.ca\n$/,
    );

    // corosync-objctl: the configuration part line for line (1477-1531), the rest a subset of 1532-1739
    const objctl = (await run(n1, 'corosync-objctl')).out.split('\n').filter(Boolean);
    if (tutorial) {
      const t = tutorial
        .slice(1477 - 1, 1739)
        .map((l, i) => (i === 0 ? l.replace('corosync-objctl', '') : l.replace(/If you want to check.*$/, '')));
      expect(objctl.slice(0, 55)).toEqual(t.slice(0, 55));
      for (const l of objctl) expect(t).toContain(l);
    }
    expect(objctl).toContain('runtime.totem.pg.mrp.srp.members.2.ip=r(0) ip(10.20.0.2) ');

    // syslog: every line of the tutorial's start (1420-1455) appears on node 1, pids stable per daemon
    const lines = logSince(n1, before);
    const got = bodies(lines).map(noPid);
    if (tutorial) {
      // NOTE: the wiki put a no-break space before " ; members" (corosync prints a plain one).
      const tl = bodies(
        tutorial.slice(1420 - 1, 1455).map((l) =>
          l
            .replace(/\|.*$/, '')
            .replace(/\u00a0/g, ' ')
            .trimEnd(),
        ),
      ).map(noPid);
      for (const l of tl) expect(got).toContain(l);
      expect(got.filter((l) => l.includes('Members[2]: 1 2'))).toHaveLength(2);
    }
    expect(new Set(lines.filter((l) => l.includes('corosync[')).map((l) => /corosync\[(\d+)\]/.exec(l)![1])).size).toBe(
      1,
    );
    expect(lines.every((l) => /^\w{3} [ \d]\d \d\d:\d\d:\d\d an-node01 /.test(l))).toBe(true);
    // the messages file works with the text tools the installer uses
    const count = Number((await run(n1, 'wc -l < /var/log/messages')).out.trim());
    expect(count).toBe(logLines(n1));
    expect((await run(n1, `tail -n +${before + 1} /var/log/messages | grep -c "Members\\[2\\]: 1 2"`)).out).toBe('2\n');
    w.advance(60000);
    expect(logSince(n1, before).some((l) => l.includes('fencing node'))).toBe(false);
  }, 60000);

  it('cman stop leaves cleanly (tutorial 4255-4263), refuses while rgmanager holds a lockspace', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    await cmanBoth(w);
    n1.markRunning('rgmanager');
    const busy = await run(n1, '/etc/init.d/cman stop');
    expect(busy.code).toBe(1);
    expect(busy.out).toBe(
      'Stopping cluster: \n   Leaving fence domain... found dlm lockspace /sys/kernel/dlm/rgmanager\n                                                           [FAILED]\n',
    );
    n1.markStopped('rgmanager');
    const mark = logLines(n2);
    const s = await run(n1, '/etc/init.d/cman stop');
    const expected = [
      'Stopping cluster: ',
      '   Leaving fence domain...                                 [  OK  ]',
      '   Stopping gfs_controld...                                [  OK  ]',
      '   Stopping dlm_controld...                                [  OK  ]',
      '   Stopping fenced...                                      [  OK  ]',
      '   Stopping cman...                                        [  OK  ]',
      '   Waiting for corosync to shutdown:                       [  OK  ]',
      '   Unloading kernel modules...                             [  OK  ]',
      '   Unmounting configfs...                                  [  OK  ]',
    ];
    expect(s).toEqual({ out: expected.join('\n') + '\n', err: '', code: 0 });
    if (tutorial) expect(['Stopping cluster: ', ...tut(4256, 4263)]).toEqual(expected);
    expect((await run(n1, '/etc/init.d/cman status')).code).toBe(3);
    expect((await run(n2, 'cman_tool status | grep -E "^(Nodes|Cluster Generation)"')).out).toBe(
      'Cluster Generation: 12\nNodes: 1\n',
    );
    w.advance(60000);
    const after = bodies(logSince(n2, mark));
    expect(after.some((l) => l.includes('Members[1]: 2'))).toBe(true);
    expect(after.some((l) => l.includes('fencing'))).toBe(false);
  }, 60000);

  it('refuses to start with NetworkManager on, without cluster.conf, or when no clusternode is this node', async () => {
    const w = tutorialWorld();
    const [n1] = await clusterReady(w);
    n1.fs.unlink('/etc/cluster/cluster.conf');
    const missing = await run(n1, '/etc/init.d/cman start');
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('   Starting cman... xmlconfig cannot find /etc/cluster/cluster.conf\n');
    expect(missing.out).toMatch(/\n {59}\[FAILED\]\n$/);
    expect((await run(n1, 'ccs_config_validate')).code).toBe(1);
    n1.fs.writeFile('/etc/cluster/cluster.conf', CONF_V7.replace('name="pdu2" port="1"', 'name="pdu3" port="1"'));
    const invalid = await run(n1, '/etc/init.d/cman start');
    expect(invalid.code).toBe(1);
    expect(invalid.out).toContain(
      'device "pdu3" of method "pdu" of clusternode "an-node01.alteeve.ca" is not defined in <fencedevices>\nConfiguration fails to validate\n',
    );
    n1.fs.writeFile('/etc/cluster/cluster.conf', CONF_V7.replace(/an-node01\.alteeve\.ca/, 'an-node09.alteeve.ca'));
    const notMe = await run(n1, '/etc/init.d/cman start');
    expect(notMe.out).toContain('Starting cman... Cannot find node name in cluster.conf\n');
    expect((await run(n1, 'cman_tool status')).code).toBe(1);
    n1.fs.writeFile('/etc/cluster/cluster.conf', CONF_V7);
    await run(n1, 'yum -y install NetworkManager >/dev/null; chkconfig NetworkManager on');
    const nm = await run(n1, '/etc/init.d/cman start');
    expect(nm.code).toBe(1);
    expect(nm.out).toContain(
      'Network Manager is either running or configured to run. Please disable it in the cluster.\n',
    );
  }, 60000);
});

describe('cluster: daemons, boot and the network tests of step 11', () => {
  it('ricci and modclusterd start as the tutorial shows (1394, 1398-1399)', async () => {
    const w = tutorialWorld();
    const n = w.nodes[N1];
    await run(n, 'yum -y install ricci modcluster >/dev/null');
    expect((await run(n, 'chkconfig ricci on && chkconfig --list ricci')).out).toBe(
      'ricci          \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n',
    );
    expect((await run(n, '/etc/init.d/ricci start')).out).toBe(
      'Starting ricci:                                            [  OK  ]\n',
    );
    const m = await run(n, '/etc/init.d/modclusterd start');
    expect(m.out).toBe(
      'Starting Cluster Module - cluster monitor: Setting verbosity level to LogBasic\n                                                           [  OK  ]\n',
    );
    if (tutorial) {
      expect(tutorial[1397].replace('/etc/init.d/modclusterd start', '')).toBe(m.out.split('\n')[0]);
      expect(tutorial[1398].replace(/\].*$/, ']')).toBe(m.out.split('\n')[1]);
    }
    expect((await run(n, '/etc/init.d/modclusterd status')).code).toBe(0);
  }, 60000);

  it('pulled cables and a dead switch: the bonds fail over and the cluster sees nothing (1858, 1947-1965)', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    await cmanBoth(w);
    const mark = logLines(n1);
    const gen = (await run(n1, 'cman_tool status | grep Generation')).out;
    w.fault({ kind: 'cable', node: N1, nic: 'eth0', up: false });
    w.advance(30000);
    w.fault({ kind: 'cable', node: N1, nic: 'eth0', up: true });
    w.advance(130000);
    w.fault({ kind: 'switch', switch: 'sw1', up: false });
    w.advance(60000);
    expect((await run(n1, 'cman_tool status | grep -E "^(Nodes|Cluster Generation)"')).out).toBe(`${gen}Nodes: 2\n`);
    w.fault({ kind: 'switch', switch: 'sw1', up: true });
    w.fault({ kind: 'switch', switch: 'sw2', up: false });
    w.advance(60000);
    expect((await run(n2, 'cman_tool status | grep ^Nodes')).out).toBe('Nodes: 2\n');
    expect(logSince(n1, mark).some((l) => /corosync|fenced/.test(l))).toBe(false);
    // both switches down: each side loses the other; neither can reach a fence device (BCN dead): fenced loops
    w.fault({ kind: 'switch', switch: 'sw1', up: false });
    w.advance(40000);
    expect((await run(n1, 'cman_tool status | grep ^Nodes')).out).toBe('Nodes: 1\n');
    expect(bodies(logSince(n1, mark)).filter((l) => l.includes('result: error from agent')).length).toBeGreaterThan(1);
    expect(n2.running).toBe(true);
  }, 60000);

  it('with cman on at boot, a fenced node comes back and rejoins by itself', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    await cmanBoth(w);
    await run(n1, 'chkconfig cman on');
    w.fault({ kind: 'crash', node: N1 });
    w.advance(40000);
    await bootsBack(w, n1);
    expect(n1.running).toBe(true);
    expect((await run(n1, '/etc/init.d/cman status')).code).toBe(0);
    expect((await run(n2, 'cman_tool status | grep ^Nodes')).out).toBe('Nodes: 2\n');
    // a reboot by command leaves the cluster cleanly: no fence
    const mark = logLines(n2);
    await run(n1, 'reboot');
    await w.settle();
    w.advance(40000);
    expect(bodies(logSince(n2, mark)).some((l) => l.includes('fencing node'))).toBe(false);
    expect((await run(n2, 'cman_tool status | grep ^Nodes')).out).toBe('Nodes: 2\n');
  }, 60000);
});
