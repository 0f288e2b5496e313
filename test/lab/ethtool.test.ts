/**
 * `ethtool IFACE` in the lab (issue 16 point 3): ethtool 3.5 do_gset() layout; "Link detected" follows
 * the world's cable (netif_carrier_ok()), as the bonding driver sees it.
 */
import { describe, expect, it } from 'vitest';
import { networked, run, world } from './helpers.js';

describe('ethtool (3.5)', () => {
  it('a NIC: settings block with Speed/Duplex and "Link detected: yes"; with its cable pulled "Speed: Unknown!", "Duplex: Unknown! (255)", "Link detected: no"', async () => {
    const w = world();
    await networked(w);
    const n = w.nodes['an-node01'];
    const up = await run(n, 'ethtool eth0');
    expect(up.code).toBe(0);
    const lines = up.out.split('\n');
    expect(lines[0]).toBe('Settings for eth0:');
    expect(lines[1]).toBe('\tSupported ports: [ TP ]');
    expect(lines[2]).toBe('\tSupported link modes:   10baseT/Half 10baseT/Full ');
    expect(lines[3]).toBe('\t                        100baseT/Half 100baseT/Full ');
    expect(up.out).toContain('\tSpeed: 1000Mb/s\n\tDuplex: Full\n');
    expect(lines.at(-2)).toBe('\tLink detected: yes');
    w.fault({ kind: 'cable', node: 'an-node01', nic: 'eth0', up: false });
    const down = await run(n, 'ethtool eth0');
    expect(down.out).toContain('\tSpeed: Unknown!\n\tDuplex: Unknown! (255)\n');
    expect(down.out).toContain('\tLink detected: no\n');
    // the bond keeps its link through eth3
    expect((await run(n, 'ethtool bond0')).out).toBe('Settings for bond0:\n\tLink detected: yes\n');
  });

  it('an unknown device: every ioctl "No such device", "No data available", exit 75; options fail loudly', async () => {
    const n = Object.values(world().nodes)[0];
    const r = await run(n, 'ethtool eth9');
    expect(r.code).toBe(75);
    expect(r.err).toContain('Cannot get link status: No such device\nNo data available\n');
    expect((await run(n, 'ethtool -S eth0')).err).toContain('not simulated by the lab');
  });
});
