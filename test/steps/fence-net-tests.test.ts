import { describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan } from '../../src/plan/derive.js';
import { fakeContext } from '../helpers/fake-node.js';
import { fakeCluster } from '../helpers/fake-cman-cluster.js';
import { bondText, slaveDown } from '../helpers/tutorial-node.js';
import { fenceTests, fenceTestTable, fenceTestList } from '../../steps/fence-tests.js';
import { netTests, netTestTables, linkChecklist } from '../../steps/net-tests.js';
import { CLUSTER_CONF, renderClusterConf } from '../../steps/cluster-conf.js';
import { bondTestLog, serveMessages } from '../helpers/bond-syslog.js';
import { NODE02_FENCED, banner, serveSyslog, tutorialFenceLogs } from '../helpers/fence-syslog.js';

const ENV = { ILO_PW: 'Il0-Pa55w0rd', RICCI_PW: 'R1cci-S3cret!' };
const tutorial = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
const other = derivePlan(loadAnswers('test/fixtures/other.anvil.yaml', ENV));

describe('fence tests', () => {
  it("build the tutorial's four-test table", () => {
    expect(fenceTestTable(tutorial)).toEqual({
      title: 'Fence tests',
      columns: ['Test', 'Victim', 'Pass?'],
      rows: [
        ['echo c > /proc/sysrq-trigger', 'an-node01', 'Yes / No'],
        ['fence_apc_snmp -a pdu2.alteeve.ca -n 1 -o off', 'an-node01', 'Yes / No'],
        ['echo c > /proc/sysrq-trigger', 'an-node02', 'Yes / No'],
        ['fence_apc_snmp -a pdu2.alteeve.ca -n 2 -o off', 'an-node02', 'Yes / No'],
      ],
    });
    expect(fenceTestList(tutorial).map((t) => `${t.runOn.name}>${t.victim.name}`)).toEqual([
      'an-node01>an-node01',
      'an-node02>an-node01',
      'an-node02>an-node02',
      'an-node01>an-node02',
    ]);
  });

  it('cut both PDUs of a two-PDU method, one command per device', () => {
    expect(fenceTestTable(other).rows).toEqual([
      ['echo c > /proc/sysrq-trigger', 'kvm-a', 'Yes / No'],
      [
        'fence_apc_snmp -a pdu-a.example.org -n 3 -o off && fence_apc_snmp -a pdu-b.example.org -n 3 -o off',
        'kvm-a',
        'Yes / No',
      ],
      ['echo c > /proc/sysrq-trigger', 'kvm-b', 'Yes / No'],
      [
        'fence_apc_snmp -a pdu-a.example.org -n 4 -o off && fence_apc_snmp -a pdu-b.example.org -n 4 -o off',
        'kvm-b',
        'Yes / No',
      ],
    ]);
  });

  it('tell the operator what syslog shows and to restart cman between tests', () => {
    const g = fenceTests.tasks[0].gate!;
    const items = g.checklist!(tutorial);
    expect(items.filter((i) => i.includes('restart cman on the recovered node before the next test'))).toHaveLength(4);
    expect(items.join('\n')).toContain('"fence an-node01.alteeve.ca success"');
    expect(items.join('\n')).toContain(
      '"fence an-node02.alteeve.ca dev 0.0 agent fence_ipmilan result: error from agent"',
    );
    expect(g.instruct(tutorial)).toContain('4 fence tests');
    expect(g.instruct(tutorial)).toContain('"fence an-node02.alteeve.ca success"');
    expect(g.checklist!(other).join('\n')).toContain('agent fence_ilo result: error from agent');
  });

  const members = () => {
    const { a, b, model } = fakeCluster(tutorial);
    for (const n of [a, b]) n.files.set(CLUSTER_CONF, renderClusterConf(tutorial, 'foundation'));
    model.version = 7;
    for (const n of ['an-node01', 'an-node02']) model.running.get(n)!.add('cman');
    tutorialFenceLogs(a, b);
    return { a, b, model, verify: () => fenceTests.tasks[0].verify!(fakeContext(tutorial, a, b)) };
  };

  it("verify: the tutorial's four fences in syslog, a boot after each, both nodes members again", async () => {
    const { model, verify } = members();
    await expect(verify()).resolves.toMatchObject({
      summary: '4 fences seen in syslog, each victim rebooted; both nodes back in the cluster',
    });
    model.running.get('an-node02')!.delete('cman');
    await expect(verify()).rejects.toThrow(/an-node02: cman not running/);
  });

  it('verify fails on membership alone: no fence in syslog', async () => {
    const { a, b, verify } = members();
    a.files.set('/var/log/messages', banner('12:43:30', 'an-node01') + '\n');
    b.files.set('/var/log/messages', '');
    await expect(verify()).rejects.toThrow(
      /2 fences of an-node01\.alteeve\.ca expected in an-node02's \/var\/log\/messages \(one per method\), found 0: \(no fence lines\)/,
    );
  });

  it('verify fails when the hang was fenced by the PDU, naming the line', async () => {
    const { b, verify } = members();
    const rescued = NODE02_FENCED.replace(
      'fence an-node01.alteeve.ca success\nDec 13 12:45:48',
      'fence an-node01.alteeve.ca dev 0.0 agent fence_ipmilan result: error from agent\nDec 13 12:42:56 an-node02 fenced[2817]: fence an-node01.alteeve.ca success\nDec 13 12:45:48',
    );
    expect(rescued).not.toBe(NODE02_FENCED);
    b.files.set('/var/log/messages', b.files.get('/var/log/messages')!.replace(NODE02_FENCED, rescued));
    await expect(verify()).rejects.toThrow(
      /test of method 1 \("ipmi"\): method 1 \("ipmi"\) failed: .*error from agent/,
    );
  });

  it('verify still finds the tests after a later fence (the acceptance crash of node 2)', async () => {
    const { a, b, verify } = members();
    a.files.set(
      '/var/log/messages',
      a.files.get('/var/log/messages')! +
        'Dec 13 13:01:00 an-node01 fenced[3501]: fencing node an-node02.alteeve.ca\nDec 13 13:01:15 an-node01 fenced[3501]: fence an-node02.alteeve.ca success\n',
    );
    b.files.set('/var/log/messages', b.files.get('/var/log/messages')! + banner('13:02:10', 'an-node02') + '\n');
    serveSyslog(b, { seconds: 300, now: 'Dec 13 13:07:10' });
    await expect(verify()).resolves.toMatchObject({ details: { fences: expect.stringContaining('12:56:20') } });
  });

  it('verify fails when a victim did not boot after a fence, or has not rebooted since', async () => {
    const { a, verify } = members();
    a.files.set('/var/log/messages', a.files.get('/var/log/messages')!.replace(/.*12:43:30.*\n/, ''));
    await expect(verify()).rejects.toThrow(
      /test of method 1 \("ipmi"\): no boot of an-node01 in its \/var\/log\/messages after "Dec 13 12:42:41 .*" and before the next fence/,
    );
    const fresh = members();
    serveSyslog(fresh.a, { seconds: 7200, now: 'Dec 13 13:07:02' });
    await expect(fresh.verify()).rejects.toThrow(
      /an-node01 has not rebooted since its last fence .*: up 7200 s at Dec 13 13:07:02/,
    );
  });
});

describe('network redundancy tests', () => {
  it('cover every bond x node x link, IFN first, with the updelay in words', () => {
    const [links, switches] = netTestTables(tutorial);
    expect(links.rows).toHaveLength(12);
    expect(links.rows.slice(0, 2).map((r) => r.slice(0, 4))).toEqual([
      ['IFN', 'an-node01', 'bond2', 'eth2 (primary)'],
      ['IFN', 'an-node01', 'bond2', 'eth5 (backup)'],
    ]);
    expect(links.rows.at(-1)!.slice(0, 4)).toEqual(['BCN', 'an-node02', 'bond0', 'eth3 (backup)']);
    expect(links.rows[0][4]).toContain('after 2 minutes');
    expect(switches.rows.map((r) => r[0])).toEqual([
      'Power off the primary switch',
      'Power on the primary switch, wait 5 minutes',
      'Power off the secondary switch',
      'Power on the secondary switch, wait 5 minutes',
    ]);
    expect(netTestTables(other)[0].rows[0][4]).toContain('after 1 minute');
  });

  it('checklist: ping floods by network name, pulls, updelay waits, switch tests', () => {
    const items = linkChecklist(tutorial);
    expect(items).toHaveLength(4 * 6);
    expect(items[0]).toContain('`ping -f an-node02.ifn` on an-node01');
    expect(items.join('\n')).toContain('an-node01 bond0: restore eth0 and wait 2 minutes (updelay 120000 ms)');
    expect(items.join('\n')).toContain('pull the backup eth3');
    const all = netTests.tasks[0].gate!.checklist!(tutorial).join('\n');
    expect(all).toContain('Cut the power to the primary switch');
    expect(all).toContain('wait five minutes');
  });

  it('verify every bond is back on its primary link with the cluster intact', async () => {
    const { a, b, model } = fakeCluster(tutorial);
    for (const n of [a, b])
      for (const bd of n.plan.bonds) n.files.set(`/proc/net/bonding/${bd.dev}`, bondText(n.plan, bd.dev));
    for (const n of [a, b]) model.running.get(n.plan.name)!.add('cman');
    model.version = 7;
    for (const n of [a, b]) serveMessages(n, bondTestLog(n.plan));
    const t = netTests.tasks[0];
    await expect(t.verify!(fakeContext(tutorial, a, b))).resolves.toMatchObject({
      summary: 'every bond test seen in syslog; all bonds on their primary links; cluster intact',
    });
    b.files.set('/proc/net/bonding/bond1', slaveDown(bondText(b.plan, 'bond1'), 'eth1', 'eth4'));
    await expect(t.verify!(fakeContext(tutorial, a, b))).rejects.toThrow(/an-node02 bond1: active eth4, down: eth1/);
  });

  it('verify fails on the end state alone: each test must be in syslog, in order', async () => {
    const { a, b, model } = fakeCluster(tutorial);
    for (const n of [a, b])
      for (const bd of n.plan.bonds) n.files.set(`/proc/net/bonding/${bd.dev}`, bondText(n.plan, bd.dev));
    for (const n of [a, b]) model.running.get(n.plan.name)!.add('cman');
    model.version = 7;
    const verify = () => netTests.tasks[0].verify!(fakeContext(tutorial, a, b));
    serveMessages(a, bondTestLog(a.plan));
    serveMessages(b, []);
    await expect(verify()).rejects.toThrow(
      /an-node02 bond0: test "pull eth0" not seen in \/var\/log\/messages \(no "bonding: bond0: link status definitely down for interface eth0, disabling it"\); last lines: \(none\)/,
    );
    // the backup pulled only after the updelay: the primary was already back, nothing to resume
    const late = bondTestLog(b.plan).filter((l) => !/bond1: link status definitely down for interface eth4/.test(l));
    serveMessages(b, late);
    await expect(verify()).rejects.toThrow(
      /an-node02 bond1: test "pull eth1 again, then eth4 inside the updelay" not seen .*no "bonding: bond1: link status definitely down for interface eth4, disabling it" after ".*bond1: making interface eth4 the new active one\."/,
    );
    const message = await verify().then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message).toContain('an-node02 bond1');
    expect(message).not.toMatch(/an-node02 bond[02]/);
  });
});

describe('fence tests: only from a safe state (--retest)', () => {
  const SYNCING = `version: 8.3.12 (api:88/proto:86-96)
 0: cs:SyncSource ro:Primary/Primary ds:UpToDate/Inconsistent C r-----
 1: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C r-----
`;
  it('refuses while a node is not a member or DRBD resyncs, naming what it saw; allows a healthy cluster', async () => {
    const { a, b, model } = fakeCluster(tutorial);
    for (const n of [a, b]) n.files.set(CLUSTER_CONF, renderClusterConf(tutorial, 'foundation'));
    model.version = 7;
    model.running.get('an-node01')!.add('cman');
    for (const n of [a, b]) n.on('cat /proc/drbd', { code: 1, stderr: 'No such file or directory' });
    const unsafe = fenceTests.tasks[0].gate!.unsafe!;
    expect(await unsafe(fakeContext(tutorial, a, b))).toMatch(/an-node02 is not a full member \(cman not running\)/);
    model.running.get('an-node02')!.add('cman');
    expect(await unsafe(fakeContext(tutorial, a, b))).toBeUndefined();
    b.on('cat /proc/drbd', SYNCING);
    expect(await unsafe(fakeContext(tutorial, a, b))).toMatch(/an-node02: DRBD resyncing \(minor 0 SyncSource\)/);
  });
});
