/**
 * `ethtool IFACE` (ethtool 3.5, EL6): a NIC's settings and "Link detected" from the world's cables
 * and switches (the carrier the bonding driver sees); a bond, bridge or lo only has its link line
 * (their 2.6.32 drivers answer no ETHTOOL_GSET). Options (-s, -i, -S, -k, ...) fail loudly.
 *
 * Sources (facts and formats only): ethtool 3.5 `ethtool.c` do_gset(): "Settings for %s:", then
 * dump_ecmd() (ports, link modes with the second and third lines indented to the first, pause, autoneg,
 * "Speed: %uMb/s" or "Unknown!", "Duplex: Full" or "Unknown! (255)", port, PHYAD, transceiver, MDI-X),
 * the Wake-on lines, "Current message level: 0x%08x (%d)", and "Link detected: yes|no"
 * (ETHTOOL_GLINK: netif_carrier_ok()); an operation the driver does not support (EOPNOTSUPP) is
 * skipped silently; when every one fails: "No data available" and exit 75. An unknown device fails
 * each ioctl with "No such device". Field values are those of an Intel 82574L/82576 copper NIC under
 * e1000e/igb (the tutorial's nodes); the layout (a trailing space after each link-mode group, no FEC
 * lines: those came with ethtool 4.x) follows captures of ethtool 3.x, not checked against a real EL6
 * node.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';

export const ethtool: CommandFn = (ctx: CmdCtx) => {
  const a = ctx.argv.slice(1);
  if (a.length !== 1 || a[0].startsWith('-')) {
    ctx.err(`ethtool: ${a.join(' ') || '(no arguments)'} is not simulated by the lab (only \`ethtool DEVICE\`)\n`);
    return 1;
  }
  const dev = a[0];
  const net = ctx.node.net;
  const i = net.state.ifaces[dev];
  if (!i) {
    ctx.err(
      'Cannot get device settings: No such device\nCannot get wake-on-lan settings: No such device\nCannot get message level: No such device\nCannot get link status: No such device\nNo data available\n',
    );
    ctx.out(`Settings for ${dev}:\n`);
    return 75;
  }
  const link = net.carrier(dev) ? 'yes' : 'no';
  if (i.kind !== 'eth') {
    ctx.out(`Settings for ${dev}:\n\tLink detected: ${link}\n`);
    return 0;
  }
  const modes =
    '10baseT/Half 10baseT/Full \n\t                        100baseT/Half 100baseT/Full \n\t                        1000baseT/Full \n';
  ctx.out(
    `Settings for ${dev}:\n` +
      '\tSupported ports: [ TP ]\n' +
      `\tSupported link modes:   ${modes}` +
      '\tSupported pause frame use: No\n' +
      '\tSupports auto-negotiation: Yes\n' +
      `\tAdvertised link modes:  ${modes}` +
      '\tAdvertised pause frame use: No\n' +
      '\tAdvertised auto-negotiation: Yes\n' +
      `\tSpeed: ${link === 'yes' ? '1000Mb/s' : 'Unknown!'}\n` +
      `\tDuplex: ${link === 'yes' ? 'Full' : 'Unknown! (255)'}\n` +
      '\tPort: Twisted Pair\n' +
      '\tPHYAD: 1\n' +
      '\tTransceiver: internal\n' +
      '\tAuto-negotiation: on\n' +
      `\tMDI-X: ${link === 'yes' ? 'on' : 'Unknown'}\n` +
      '\tSupports Wake-on: pumbg\n' +
      '\tWake-on: g\n' +
      '\tCurrent message level: 0x00000007 (7)\n' +
      `\tLink detected: ${link}\n`,
  );
  return 0;
};

export const ETHTOOL_COMMANDS: Record<string, CommandFn> = { ethtool };
