import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseBonding } from '../../src/verify/bonding.js';

const fx = (name: string) => readFileSync(`test/fixtures/bonding/${name}`, 'utf8');

describe('parseBonding (/proc/net/bonding/bondX)', () => {
  it("reads the tutorial's healthy bond0 on an-node01", () => {
    const st = parseBonding(fx('tutorial-bond0-healthy.txt'));
    expect(st).toEqual({
      driver: 'v3.6.0 (September 26, 2009)',
      mode: 'fault-tolerance (active-backup)',
      primary: 'eth0',
      primaryReselect: 'always',
      active: 'eth0',
      mii: 'up',
      pollMs: 100,
      upDelayMs: 120000,
      downDelayMs: 0,
      slaves: [
        { name: 'eth0', mii: 'up', linkFailures: 0, permanentMac: '00:e0:81:c7:ec:49', queueId: 0 },
        { name: 'eth3', mii: 'up', linkFailures: 0, permanentMac: '00:1b:21:9d:59:fc', queueId: 0 },
      ],
    });
  });

  it('keeps the slave MII status apart from the bond MII status (eth0 pulled)', () => {
    const st = parseBonding(fx('tutorial-bond0-eth0-down.txt'));
    expect(st.mii).toBe('up');
    expect(st.active).toBe('eth3');
    expect(st.slaves.map((s) => [s.name, s.mii, s.linkFailures])).toEqual([
      ['eth0', 'down', 1],
      ['eth3', 'up', 0],
    ]);
  });

  it('reads failure counts after recovery and after the switch failure', () => {
    expect(parseBonding(fx('tutorial-bond0-eth0-restored.txt')).slaves.map((s) => s.linkFailures)).toEqual([1, 0]);
    const sw = parseBonding(fx('tutorial-bond0-switch1-down.txt'));
    expect(sw.active).toBe('eth3');
    expect(sw.slaves.map((s) => `${s.name}:${s.mii}:${s.linkFailures}`)).toEqual(['eth0:down:3', 'eth3:up:2']);
  });

  it('parses the kernel layout with blank lines between sections the same way', () => {
    const flat = fx('tutorial-bond0-eth0-down.txt');
    const kernel =
      flat.replace('\nBonding Mode', '\n\nBonding Mode').replace(/\nSlave Interface/g, '\n\nSlave Interface') + '\n';
    expect(kernel).not.toBe(flat);
    expect(parseBonding(kernel)).toEqual(parseBonding(flat));
  });

  it('reads a slave waiting out updelay and a bond with no active slave', () => {
    const st = parseBonding(
      fx('tutorial-bond0-healthy.txt')
        .replace('Currently Active Slave: eth0', 'Currently Active Slave: None')
        .replace(/(Slave Interface: eth0\nMII Status: )up/, '$1going back'),
    );
    expect(st.active).toBe('None');
    expect(st.slaves[0].mii).toBe('going back');
  });
});
