/**
 * rgmanager's reading of cluster.conf: the tutorial's final v12 (the fixture) and what the tool
 * renders at the storage and vms stages.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRmConf, confVersion } from '../../../src/lab/cluster/rgmanager/conf.js';
import { conf } from './fakes.js';

describe('rgmanager reads cluster.conf', () => {
  it('the tutorial v12: script tree, domains, vm services with their restart policy', () => {
    const c = parseRmConf(readFileSync('test/fixtures/tutorial/an-node01/etc/cluster/cluster.conf', 'utf8'));
    expect(c.cluster).toBe('an-cluster-A');
    expect(c.version).toBe(12);
    expect(c.nodes).toEqual([
      { name: 'an-node01.alteeve.ca', nodeid: 1 },
      { name: 'an-node02.alteeve.ca', nodeid: 2 },
    ]);
    expect(
      c.domains.map((d) => [
        d.name,
        d.restricted,
        d.ordered,
        d.nofailback,
        d.nodes.map((n) => `${n.name}:${n.priority}`).join(' '),
      ]),
    ).toEqual([
      ['only_an01', true, false, true, 'an-node01.alteeve.ca:0'],
      ['only_an02', true, false, true, 'an-node02.alteeve.ca:0'],
      ['primary_an01', true, true, true, 'an-node01.alteeve.ca:1 an-node02.alteeve.ca:2'],
      ['primary_an02', true, true, true, 'an-node01.alteeve.ca:2 an-node02.alteeve.ca:1'],
    ]);
    expect(c.groups.map((g) => g.id)).toEqual([
      'service:storage_an01',
      'service:storage_an02',
      'vm:vm0001-dev',
      'vm:vm0002-web',
      'vm:vm0003-db',
      'vm:vm0004-ms',
    ]);
    const st = c.groups[0];
    expect(st).toMatchObject({ autostart: true, domain: 'only_an01', recovery: 'restart', exclusive: false });
    expect(st.scripts).toEqual([
      { name: 'drbd', file: '/etc/init.d/drbd' },
      { name: 'clvmd', file: '/etc/init.d/clvmd' },
      { name: 'gfs2', file: '/etc/init.d/gfs2' },
      { name: 'libvirtd', file: '/etc/init.d/libvirtd' },
    ]);
    expect(c.groups[4]).toMatchObject({
      kind: 'vm',
      name: 'vm0003-db',
      autostart: false,
      domain: 'primary_an02',
      path: '/shared/definitions/',
      maxRestarts: 2,
      restartExpire: 600,
    });
  });

  it('what the tool writes at the storage and vms stages reads the same way', () => {
    const s = parseRmConf(conf('storage'));
    expect(s.groups.map((g) => g.id)).toEqual(['service:storage_an01', 'service:storage_an02']);
    const v = parseRmConf(conf('vms'));
    expect(v.groups.filter((g) => g.kind === 'vm').map((g) => [g.name, g.domain, g.autostart])).toEqual([
      ['vm0001-dev', 'primary_an01', false],
      ['vm0002-web', 'primary_an01', false],
      ['vm0003-db', 'primary_an02', false],
      ['vm0004-ms', 'primary_an02', false],
    ]);
    expect(confVersion(conf('vms'))).toBe(v.version);
    expect(() => parseRmConf('<cluster name="x"><rm></cluster>')).toThrow();
  });
});
