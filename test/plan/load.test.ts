import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadAnswers, validateAnswers } from '../../src/plan/load.js';
import { AnswersInvalid } from '../../src/errors.js';
import { derivePlan } from '../../src/plan/derive.js';

const EXAMPLE = 'examples/tutorial.anvil.yaml';

function issuesOf(mutate: (a: any) => void, env: NodeJS.ProcessEnv = {}): string[] {
  const a = parse(readFileSync(EXAMPLE, 'utf8'));
  mutate(a);
  try {
    validateAnswers(a, 'test', env);
  } catch (e) {
    if (e instanceof AnswersInvalid) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('answers loading', () => {
  it('accepts the contract example and derives the tutorial names', () => {
    const p = derivePlan(loadAnswers(EXAMPLE, {}));
    expect(p.nodes.map((n) => n.fqdn)).toEqual(['an-node01.alteeve.ca', 'an-node02.alteeve.ca']);
    expect(p.nodes[0].ifaces.map((i) => `${i.dev}:${i.mac}`)).toEqual([
      'eth0:00:E0:81:C7:EC:49',
      'eth1:00:E0:81:C7:EC:48',
      'eth2:00:E0:81:C7:EC:47',
      'eth3:00:1B:21:9D:59:FC',
      'eth4:00:1B:21:BF:70:02',
      'eth5:00:1B:21:BF:6F:FE',
    ]);
    expect(p.vms.map((v) => `${v.name}:${v.lvPath}:${v.domain}`)).toEqual([
      'vm0001-dev:/dev/an01-vg0/vm0001-1:primary_an01',
      'vm0002-web:/dev/an01-vg0/vm0002-1:primary_an01',
      'vm0003-db:/dev/an02-vg0/vm0003-1:primary_an02',
      'vm0004-ms:/dev/an02-vg0/vm0004-1:primary_an02',
    ]);
    expect(p.gfs2.lockTable).toBe('an-cluster-A:shared');
    expect(p.bondingOpts('eth0')).toBe('mode=1 miimon=100 use_carrier=1 updelay=120000 downdelay=0 primary=eth0');
  });

  it('computes parted boundaries when the free-space start is known', () => {
    const p = derivePlan(loadAnswers(EXAMPLE, {}), { freeStart: '47.5GB' });
    expect(p.resources.map((r) => `${r.start}-${r.end}`)).toEqual(['47.5GB-67.5GB', '67.5GB-284GB', '284GB-100%']);
  });

  it('reports a file with ten mistakes as ten messages, each naming its path', () => {
    const issues = issuesOf((a) => {
      a.nodes[0].bcn = '10.21.0.1'; // 1 outside CIDR
      a.nodes[1].sn = '10.10.0.1'; // 2 duplicate address
      a.nodes[1].id = 1; // 3 duplicate id
      a.nodes[1].nics.bcn[0] = '00:E0:81:C7:EC:49'; // 4 duplicate MAC
      a.nodes[1].nics.sn[1] = '00:1B:21:BF:70:1'; // 5 malformed MAC
      a.fencing.methods['an-node02'][1].devices[0].device = 'pdu9'; // 6 unknown fence device
      a.storage.resources[1].port = 7788; // 7 duplicate port
      a.storage.resources[0].size = 'rest'; // 8 rest not last
      a.vms[2].node = 'an-node03'; // 9 unknown node
      a.vms[3].lv = 'vm0001-1'; // 10 duplicate LV
    });
    expect(issues).toHaveLength(10);
    const joined = issues.join('\n');
    for (const path of [
      'nodes[0].bcn',
      'nodes[1].sn',
      'nodes[1].id',
      'nodes[1].nics.bcn[0]',
      'nodes[1].nics.sn[1]: not a MAC address',
      'fencing.methods.an-node02[1].devices[0].device',
      'storage.resources[1].port',
      'storage.resources[0].size',
      'vms[2].node',
      'vms[3].lv',
    ])
      expect(joined).toContain(path);
  });

  it('names a missing ${env:NAME} secret and its path', () => {
    const issues = issuesOf((a) => {
      a.ricci.password = '${env:ANVIL_TEST_RICCI}';
    });
    expect(issues).toEqual([
      'ricci.password: environment variable ANVIL_TEST_RICCI is not set; export ANVIL_TEST_RICCI=... or write the value in the file',
    ]);
    expect(
      issuesOf((a) => (a.ricci.password = '${env:ANVIL_TEST_RICCI}'), { ANVIL_TEST_RICCI: 'pw-from-env' }),
    ).toEqual([]);
  });

  it('leaves unset ${env:NAME} secrets as written when they are optional (plan, runbook)', () => {
    const a = loadAnswers('test/fixtures/other.anvil.yaml', {}, { secretsOptional: true });
    expect(a.ricci.password).toBe('${env:RICCI_PW}');
    expect(() => loadAnswers('test/fixtures/other.anvil.yaml', {})).toThrow(/ILO_PW is not set/);
  });

  it('requires exactly two nodes, a fence method per node, and a VG for every VM', () => {
    const issues = issuesOf((a) => {
      a.nodes.push({
        ...a.nodes[1],
        name: 'an-node03',
        label: 'an03',
        id: 3,
        bcn: '10.20.0.3',
        sn: '10.10.0.3',
        ifn: '10.255.0.3',
        ipmi: '10.20.1.3',
        nics: undefined,
      });
      delete a.fencing.methods['an-node02'];
      delete a.storage.resources[2].primary;
    });
    expect(issues.join('\n')).toMatch(/nodes: an Anvil! has exactly two nodes; found 3/);
    expect(issues.join('\n')).toMatch(/fencing.methods.an-node02: node an-node02 has no fence method/);
    expect(issues.join('\n')).toMatch(/vms\[2\].node: node an-node02 owns no DRBD resource/);
  });

  it('refuses values that would add lines to a file (hosts, ntp.conf)', () => {
    const issues = issuesOf((a) => {
      a.ntp.server = 'tick.redhat.com\nserver evil.example';
      a.extraHosts[0].names[0] = 'pdu1\n10.0.0.9 an-node02';
      a.extraHosts[1].comment = 'x\n1.2.3.4 y';
    });
    expect(issues).toEqual([
      'extraHosts[0].names[0]: not a host name or address',
      'extraHosts[1].comment: must be on one line',
      'ntp.server: not a host name or address',
    ]);
  });

  it('rejects unknown keys with their path', () => {
    expect(issuesOf((a) => (a.cluster.nmae = 'x'))).toEqual([
      'cluster.nmae: unknown key; check its spelling against `anvil-install schema`',
    ]);
  });
});
