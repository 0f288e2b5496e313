import { describe, expect, it } from 'vitest';
import { parseRpmQuery } from '../../src/verify/rpm-query.js';
import { parseVirshNetList } from '../../src/verify/virsh-net.js';

describe('parseRpmQuery', () => {
  it('tells installed from missing, not confusing qemu-kvm with qemu-kvm-tools', () => {
    const r = parseRpmQuery(
      [
        'qemu-kvm-tools-0.12.1.2-2.209.el6_2.4.x86_64',
        'package qemu-kvm is not installed',
        'cman-3.0.12.1-23.el6.x86_64',
      ].join('\n'),
      ['cman', 'qemu-kvm', 'qemu-kvm-tools'],
    );
    expect([...r.installed.keys()].sort()).toEqual(['cman', 'qemu-kvm-tools']);
    expect(r.missing).toEqual(['qemu-kvm']);
  });
});

describe('parseVirshNetList', () => {
  it('reads the table and an empty list', () => {
    const t =
      'Name                 State      Autostart\n-----------------------------------------\ndefault              active     yes       \n';
    expect(parseVirshNetList(t)).toEqual([{ name: 'default', state: 'active', autostart: 'yes' }]);
    expect(
      parseVirshNetList('Name                 State      Autostart\n-----------------------------------------\n\n'),
    ).toEqual([]);
  });
});
