import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { XMLParser } from 'fast-xml-parser';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type Plan } from '../../src/plan/derive.js';
import { CONF_STAGES, clusterConfSpec, renderClusterConf } from '../../steps/cluster-conf.js';
import { finalFiles } from '../../src/engine/walk.js';
import { STEPS } from '../../steps/index.js';
import { sharedFile } from '../helpers/shared.js';

const ENV = { ILO_PW: 'Il0-Pa55w0rd', RICCI_PW: 'R1cci-S3cret!' };
const tutorial = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
const other = derivePlan(loadAnswers('test/fixtures/other.anvil.yaml', ENV));

/** An element as a comparable tree: name, attributes (order-free), children in order. */
interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
}

const parser = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseAttributeValue: false, trimValues: true, ignoreDeclaration: true });

function tree(xml: string): Node {
  const conv = (o: Record<string, unknown>): Node | undefined => {
    const name = Object.keys(o).find((k) => k !== ':@' && k !== '#text');
    if (!name) return undefined;
    const attrs = Object.fromEntries(Object.entries((o[':@'] as Record<string, unknown>) ?? {}).map(([k, v]) => [k, String(v)]));
    const children = ((o[name] as Record<string, unknown>[]) ?? []).map(conv).filter((c): c is Node => !!c);
    return { name, attrs, children };
  };
  const top = (parser.parse(xml) as Record<string, unknown>[]).map(conv).filter((c): c is Node => !!c);
  expect(top).toHaveLength(1);
  return top[0];
}

/** Canonical text: attributes sorted, one element per line, indentation by depth. */
function canon(n: Node, depth = 0): string {
  const a = Object.keys(n.attrs)
    .sort()
    .map((k) => ` ${k}="${n.attrs[k]}"`)
    .join('');
  return [`${'  '.repeat(depth)}<${n.name}${a}>`, ...n.children.map((c) => canon(c, depth + 1))].join('\n');
}

const find = (n: Node, name: string): Node[] => [...(n.name === name ? [n] : []), ...n.children.flatMap((c) => find(c, name))];

describe('cluster.conf template: golden against the tutorial', () => {
  it("renders the tutorial's final cluster.conf (config_version 12) for both nodes' fixtures", () => {
    const mine = renderClusterConf(tutorial, 'vms', 12);
    for (const node of ['an-node01', 'an-node02']) {
      const golden = readFileSync(`test/fixtures/tutorial/${node}/etc/cluster/cluster.conf`, 'utf8');
      expect(canon(tree(mine))).toBe(canon(tree(golden)));
    }
  });

  it('is even character-for-character the final listing', () => {
    expect(renderClusterConf(tutorial, 'vms', 12)).toBe(readFileSync('test/fixtures/tutorial/an-node01/etc/cluster/cluster.conf', 'utf8'));
  });

  it('renders the foundation stage as the tutorial\'s version 7 listing and the storage stage as version 10', () => {
    expect(canon(tree(renderClusterConf(tutorial, 'foundation', 7)))).toBe(canon(tree(readFileSync('test/fixtures/cluster-conf/tutorial-v7.conf', 'utf8'))));
    expect(canon(tree(renderClusterConf(tutorial, 'storage', 10)))).toBe(canon(tree(readFileSync('test/fixtures/cluster-conf/tutorial-v10.conf', 'utf8'))));
  });

  it('uses the planned versions 7/10/12 and marks the file secret, mode 0640, backed up', () => {
    expect(CONF_STAGES.map((s) => tree(renderClusterConf(tutorial, s)).attrs.config_version)).toEqual(['7', '10', '12']);
    const spec = clusterConfSpec(tutorial, 'vms');
    expect(spec).toMatchObject({ path: '/etc/cluster/cluster.conf', secret: true, mode: 0o640, backup: 'orig', locals: { stage: 'vms', version: 12 } });
  });

  it('is the final file of node 1 in the step walk, at version 12', () => {
    const f = finalFiles(tutorial, STEPS).get('an-node01')!.get('/etc/cluster/cluster.conf');
    expect(f?.step).toBe('vm-services');
    expect(f && canon(tree(f.content))).toBe(canon(tree(readFileSync('test/fixtures/tutorial/an-node01/etc/cluster/cluster.conf', 'utf8'))));
  });
});

describe('cluster.conf template: the second answers file', () => {
  const t = tree(renderClusterConf(other, 'vms'));

  it('names the cluster, nodes, ids and post_join_delay from the answers', () => {
    expect(t.attrs).toEqual({ config_version: '12', name: 'bc-prod-7' });
    expect(find(t, 'clusternode').map((n) => `${n.attrs.name}#${n.attrs.nodeid}`)).toEqual(['kvm-a.example.org#11', 'kvm-b.example.org#12']);
    expect(find(t, 'fence_daemon')[0].attrs).toEqual({ post_join_delay: '20' });
    expect(find(t, 'totem')[0].attrs).toEqual({ rrp_mode: 'none', secauth: 'off' });
  });

  it('has the iLO devices with every attribute, passwd included, and the PDUs', () => {
    expect(find(t, 'fencedevice').map((d) => d.attrs)).toEqual([
      { name: 'ilo_ka', agent: 'fence_ilo', ipaddr: 'kvm-a.ipmi', login: 'admin', passwd: ENV.ILO_PW },
      { name: 'ilo_kb', agent: 'fence_ilo', ipaddr: 'kvm-b.ipmi', login: 'admin', passwd: ENV.ILO_PW },
      { name: 'pdu-a', agent: 'fence_apc_snmp', ipaddr: 'pdu-a.example.org' },
      { name: 'pdu-b', agent: 'fence_apc_snmp', ipaddr: 'pdu-b.example.org' },
    ]);
  });

  it('gives each node the iLO method, then the two-PDU method with two <device> elements', () => {
    const methods = find(t, 'clusternode').map((n) => find(n, 'method').map((m) => ({ name: m.attrs.name, devices: m.children.map((d) => d.attrs) })));
    expect(methods[0]).toEqual([
      { name: 'ilo', devices: [{ action: 'reboot', name: 'ilo_ka' }] },
      { name: 'pdus', devices: [{ action: 'reboot', name: 'pdu-a', port: '3' }, { action: 'reboot', name: 'pdu-b', port: '3' }] },
    ]);
    expect(methods[1][1].devices.map((d) => `${d.name}:${d.port}`)).toEqual(['pdu-a:4', 'pdu-b:4']);
  });

  it('has only_/primary_ domains per label with the right priorities', () => {
    const doms = find(t, 'failoverdomain').map((d) => `${d.attrs.name} o${d.attrs.ordered} r${d.attrs.restricted} nf${d.attrs.nofailback} [${d.children.map((c) => `${c.attrs.name}${c.attrs.priority ? `=${c.attrs.priority}` : ''}`).join(' ')}]`);
    expect(doms).toEqual([
      'only_ka o0 r1 nf1 [kvm-a.example.org]',
      'only_kb o0 r1 nf1 [kvm-b.example.org]',
      'primary_ka o1 r1 nf1 [kvm-a.example.org=1 kvm-b.example.org=2]',
      'primary_kb o1 r1 nf1 [kvm-a.example.org=2 kvm-b.example.org=1]',
    ]);
    expect(find(t, 'service').map((s) => `${s.attrs.name}@${s.attrs.domain}`)).toEqual(['storage_ka@only_ka', 'storage_kb@only_kb']);
  });

  it('has one <vm> per VM in its host\'s domain with the vmService policy', () => {
    expect(find(t, 'vm').map((v) => v.attrs)).toEqual([
      { name: 'mail01', domain: 'primary_kb', path: '/cluster/definitions/', autostart: '0', exclusive: '0', recovery: 'relocate', max_restarts: '3', restart_expire_time: '300' },
      { name: 'win-app', domain: 'primary_ka', path: '/cluster/definitions/', autostart: '0', exclusive: '0', recovery: 'relocate', max_restarts: '3', restart_expire_time: '300' },
    ]);
  });

  it('keeps each stage to its own elements', () => {
    const f = tree(renderClusterConf(other, 'foundation'));
    expect(find(f, 'rm')).toHaveLength(0);
    const s = tree(renderClusterConf(other, 'storage'));
    expect(find(s, 'vm')).toHaveLength(0);
    expect(find(s, 'failoverdomain').map((d) => d.attrs.name)).toEqual(['only_ka', 'only_kb']);
    expect(find(s, 'script').filter((x) => x.attrs.file).map((x) => x.attrs.name)).toEqual(['drbd', 'clvmd', 'gfs2', 'libvirtd']);
  });

  it('XML-escapes values from the answers', () => {
    const a = loadAnswers('test/fixtures/other.anvil.yaml', { ...ENV, ILO_PW: `a"b<c>&d'e` });
    const xml = renderClusterConf(derivePlan(a), 'foundation');
    expect(xml).toContain('passwd="a&quot;b&lt;c&gt;&amp;d\'e"');
    expect(find(tree(xml), 'fencedevice')[0].attrs.passwd).toBe(`a"b<c>&d'e`);
  });
});

// Real validators: the RHEL 6 RelaxNG schema (what ccs_config_validate uses) and cross-reference checks.
const RNG = sharedFile('validators', 'cluster.rng').path;
const SEM = sharedFile('validators', 'cluster-conf-semantic.py').path;
const haveXmllint = spawnSync('xmllint', ['--version']).status === 0;
const havePython = spawnSync('python3', ['--version']).status === 0;
const rngReason = !existsSync(RNG) ? `${RNG} absent` : !haveXmllint ? 'xmllint not installed (apt-get install libxml2-utils)' : '';
const semReason = !existsSync(SEM) ? `${SEM} absent` : !havePython ? 'python3 not installed' : '';
if (rngReason) console.warn(`SKIP cluster.conf RelaxNG validation: ${rngReason}`);
if (semReason) console.warn(`SKIP cluster.conf semantic validation: ${semReason}`);

describe('cluster.conf against the real validators', () => {
  const cases: [string, (typeof CONF_STAGES)[number], Plan][] = [];
  for (const [name, p] of [['tutorial', tutorial], ['other', other]] as const) for (const s of CONF_STAGES) cases.push([name, s, p]);

  const withFile = (xml: string, fn: (f: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'cluster-conf-'));
    try {
      const f = join(dir, 'cluster.conf');
      writeFileSync(f, xml);
      fn(f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it.skipIf(!!rngReason).each(cases)('%s %s validates against cluster.rng', (_n, stage, p) => {
    withFile(renderClusterConf(p, stage), (f) => {
      const r = spawnSync('xmllint', ['--noout', '--relaxng', RNG, f], { encoding: 'utf8' });
      expect(r.stderr + r.stdout).toContain('validates');
      expect(r.status).toBe(0);
    });
  });

  it.skipIf(!!semReason).each(cases)('%s %s passes the semantic checks', (_n, stage, p) => {
    withFile(renderClusterConf(p, stage), (f) => {
      const r = spawnSync('python3', [SEM, f], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
    });
  });

  it.skipIf(!!rngReason)('the schema does reject a broken file (the check can fail)', () => {
    withFile(renderClusterConf(tutorial, 'vms').replace('<fence_daemon', '<fence_deamon'), (f) => {
      expect(spawnSync('xmllint', ['--noout', '--relaxng', RNG, f]).status).not.toBe(0);
    });
  });

  it.skipIf(!!semReason)('the semantic check does reject a dangling domain (the check can fail)', () => {
    withFile(renderClusterConf(tutorial, 'vms').replace('domain="primary_an02"', 'domain="primary_an03"'), (f) => {
      expect(spawnSync('python3', [SEM, f]).status).not.toBe(0);
    });
  });
});
