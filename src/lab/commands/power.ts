/**
 * reboot, poweroff, halt, shutdown: the node goes down at once (sessions dropped, the running command
 * line stops); reboot brings it back with services per chkconfig and the network re-applied.
 */
import type { CommandFn } from '../node/command.js';
import { HaltSignal } from '../shell/types.js';

const reboot: CommandFn = (ctx) => {
  ctx.node.log('shutdown[1]', 'shutting down for system reboot');
  return ctx.node.reboot();
};

const poweroff: CommandFn = (ctx) => {
  ctx.node.log('shutdown[1]', 'shutting down for system halt');
  ctx.node.powerOff();
  throw new HaltSignal(`${ctx.node.name} powered off`);
};

const shutdown: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  if (a.includes('-c')) return 0;
  if (!a.includes('-r') && !a.includes('-h') && !a.includes('-P') && !a.includes('-H')) {
    ctx.err('shutdown: you must specify a -h, -r or -c option\n');
    return 1;
  }
  const when = a.find((x) => !x.startsWith('-')) ?? 'now';
  ctx.out(
    `\nBroadcast message from root@${ctx.node.hostname}\n\t(/dev/pts/0) at ${new Date(ctx.node.world.now()).toISOString().slice(11, 16)} ...\n\nThe system is going down for ${a.includes('-r') ? 'reboot' : 'halt'} ${when === 'now' ? 'NOW' : `in ${when}`}!\n`,
  );
  return a.includes('-r') ? reboot(ctx) : poweroff(ctx);
};

/** Power commands. */
export const POWER_COMMANDS: Record<string, CommandFn> = { reboot, poweroff, halt: poweroff, shutdown };
