import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { clustatMember, clustatService, parseClustat } from '../../src/verify/clustat.js';

const fx = (f: string) => parseClustat(readFileSync(`test/fixtures/cluster-tools/${f}`, 'utf8'));
const svc = (c: ReturnType<typeof parseClustat>) =>
  c.services.map((s) => `${s.name}|${s.owner ?? ''}|${s.lastOwner ?? ''}|${s.state}`);

describe('clustat', () => {
  it('parses the members-only report (no rgmanager yet)', () => {
    const c = fx('clustat-members.txt');
    expect(c.cluster).toBe('an-cluster-A');
    expect(c.time).toBe('Wed Dec 14 20:45:04 2011');
    expect(c.quorate).toBe(true);
    expect(c.members).toEqual([
      { name: 'an-node01.alteeve.ca', id: 1, status: ['Online', 'Local'], online: true, local: true, rgmanager: false },
      { name: 'an-node02.alteeve.ca', id: 2, status: ['Online'], online: true, local: false, rgmanager: false },
    ]);
    expect(c.services).toEqual([]);
  });

  it('parses the storage services', () => {
    const c = fx('clustat-storage.txt');
    expect(c.members.map((m) => m.rgmanager)).toEqual([true, true]);
    expect(svc(c)).toEqual([
      'service:storage_an01|an-node01.alteeve.ca||started',
      'service:storage_an02|an-node02.alteeve.ca||started',
    ]);
    expect(clustatService(c, 'storage_an02')).toMatchObject({
      type: 'service',
      short: 'storage_an02',
      owner: 'an-node02.alteeve.ca',
    });
  });

  it('reads a parenthesised owner as the last owner', () => {
    expect(svc(fx('clustat-storage-disabled.txt'))).toEqual([
      'service:storage_an01||an-node01.alteeve.ca|disabled',
      'service:storage_an02|an-node02.alteeve.ca||started',
    ]);
  });

  it('reads "(none)" as no owner at all', () => {
    const c = fx('clustat-vms-disabled.txt');
    expect(c.services.filter((s) => s.type === 'vm').map((s) => [s.short, s.owner, s.lastOwner, s.state])).toEqual([
      ['vm0001-dev', undefined, undefined, 'disabled'],
      ['vm0002-web', undefined, undefined, 'disabled'],
      ['vm0003-db', undefined, undefined, 'disabled'],
      ['vm0004-ms', undefined, undefined, 'disabled'],
    ]);
  });

  it('parses the final state with every VM on its node', () => {
    const c = fx('clustat-vms-final.txt');
    expect(svc(c).slice(2)).toEqual([
      'vm:vm0001-dev|an-node01.alteeve.ca||started',
      'vm:vm0002-web|an-node01.alteeve.ca||started',
      'vm:vm0003-db|an-node02.alteeve.ca||started',
      'vm:vm0004-ms|an-node02.alteeve.ca||started',
    ]);
    expect(clustatService(c, 'vm:vm0003-db')?.owner).toBe('an-node02.alteeve.ca');
    expect(clustatService(c, 'vm0003-db')).toBeUndefined();
  });

  it('parses an offline member, with and without trailing blanks', () => {
    const one = fx('clustat-node1-offline.txt');
    expect(clustatMember(one, 'an-node01.alteeve.ca')).toMatchObject({ online: false, status: ['Offline'] });
    expect(clustatMember(one, 'an-node02.alteeve.ca')).toMatchObject({ online: true, local: true, rgmanager: true });
    expect(clustatService(one, 'storage_an01')).toMatchObject({
      owner: undefined,
      lastOwner: 'an-node01.alteeve.ca',
      state: 'stopped',
    });
    const two = fx('clustat-node2-offline.txt');
    expect(clustatMember(two, 'an-node02.alteeve.ca')?.online).toBe(false);
    expect(two.services).toHaveLength(6);
    expect(two.services.every((s) => s.state === 'started' || s.name === 'service:storage_an02')).toBe(true);
  });

  it('also reads the real layout with blank lines between sections, and an inquorate cluster', () => {
    const real = readFileSync('test/fixtures/cluster-tools/clustat-storage.txt', 'utf8')
      .replace(' Member Name', '\n Member Name')
      .replace(' Service Name', '\n Service Name')
      .replace('Quorate', 'Inquorate');
    const c = parseClustat(real);
    expect(c.quorate).toBe(false);
    expect(c.members).toHaveLength(2);
    expect(c.services).toHaveLength(2);
  });

  it('gives an empty report for the error cman prints when it is down', () => {
    expect(parseClustat('Could not connect to CMAN: No such file or directory\n')).toEqual({
      members: [],
      services: [],
    });
  });
});
