/**
 * `brctl show [BRIDGE]` (bridge-utils 1.2 on EL6): the node's Linux bridges with the ports the network
 * gave them and the tap devices (`vnetN`) of the guests running here. Other subcommands fail loudly.
 *
 * Source: bridge-utils 1.2, brctl/brctl_cmd.c br_cmd_show() and show_bridge() (`%s\t\t`, the bridge id,
 * `\t%s\t\t` STP yes/no, then the ports), brctl/brctl_disp.c br_dump_bridge_id() (`%.2x%.2x.` priority
 * then the MAC) and dump_interface() (later ports on `\n\t\t\t\t\t\t\t`); the ports come from
 * scandir() of /sys/class/net/BR/brif, so in name order.
 */
import type { CommandFn } from '../node/command.js';
import { virtModel } from './model.js';
import { worldOf } from '../world/world.js';

/** Ports of bridge `br` on the node: the network's, then running guests' taps on it; name-sorted. */
function ports(ctx: Parameters<CommandFn>[0], br: string): string[] {
  const n = ctx.node;
  const out = [...(n.net.state.ifaces[br]?.ports ?? [])];
  const m = virtModel(worldOf(n));
  for (const name of m?.names(n.name) ?? []) {
    const live = m!.record(n.name, name)?.live;
    live?.def.interfaces.forEach((f, i) => {
      if (f.type === 'bridge' && f.source === br && live.rt.vnets[i]) out.push(live.rt.vnets[i]);
    });
  }
  return out.sort();
}

export const brctl: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  if (a[0] !== 'show') {
    ctx.err(`brctl: ${a.join(' ') || '(no command)'} is not simulated by the lab (only \`brctl show [bridge]\`)\n`);
    return 1;
  }
  const all = Object.values(ctx.node.net.state.ifaces)
    .filter((i) => i.kind === 'bridge')
    .sort((x, y) => x.name.localeCompare(y.name));
  const want = a[1] ? all.filter((i) => i.name === a[1]) : all;
  ctx.out('bridge name\tbridge id\t\tSTP enabled\tinterfaces\n');
  if (a[1] && !want.length) {
    // NOTE: show_bridge() prints the name, then fails to read the bridge info.
    ctx.out(`${a[1]}\t\t`);
    ctx.err("can't get info No such device\n");
    return 1;
  }
  for (const b of want) {
    const id = `8000.${b.mac.replace(/:/g, '')}`;
    // NOTE: the lab's bridges never run STP (the tutorial's ifcfg-vbr2 does not turn it on).
    ctx.out(`${b.name}\t\t${id}\tno\t\t${ports(ctx, b.name).join('\n\t\t\t\t\t\t\t')}\n`);
  }
  return 0;
};
