/**
 * `drbdsetup DEVICE role|cstate|dstate` (drbd83-utils 8.3.12): one minor's state as the kernel holds
 * it; every other drbdsetup form goes on to the lab's stub (use drbdadm), which fails loudly.
 *
 * Source: drbd-8.3.12 `user/drbdsetup.c` role_scmd(), cstate_scmd(), dstate_scmd() ("%s/%s\n" of the
 * local and peer role or disk state, the connection state alone; "Unconfigured" for a minor that is
 * StandAlone and Diskless, i.e. not configured); the device is given as /dev/drbdN or the minor number
 * (as drbdadm itself calls it, "drbdsetup 1 down").
 */
import type { CommandFn } from '../node/command.js';
import { st } from './state.js';
import { DRBD_COMMANDS_PROGRAMS } from './drbd-commands.js';

const stub = DRBD_COMMANDS_PROGRAMS.drbdsetup;

export const drbdsetup: CommandFn = (ctx) => {
  const [dev, verb, ...rest] = ctx.argv.slice(1);
  const minor = /^(?:\/dev\/drbd)?(\d+)$/.exec(dev ?? '')?.[1];
  const ns = st(ctx.node).of(ctx.node);
  if (minor === undefined || !['role', 'cstate', 'dstate'].includes(verb) || rest.length || !ns.drbdLoaded)
    return stub ? stub(ctx) : 20;
  const m = Object.values(ns.minors).find((x) => x.minor === Number(minor));
  if (!m) {
    ctx.out('Unconfigured\n');
    return 0;
  }
  if (verb === 'role') ctx.out(`${m.role}/${m.peerRole}\n`);
  else if (verb === 'cstate') ctx.out(`${m.cs}\n`);
  else ctx.out(`${m.ds}/${m.pds}\n`);
  return 0;
};

/** The programs of this file, given to the storage subsystem. */
export const DRBDSETUP_PROGRAMS: Record<string, CommandFn> = { drbdsetup };
