/**
 * The DRBD programs: `drbdadm` (dump, create-md, dump-md, attach, connect, up, adjust, disconnect,
 * down, primary, secondary, new-current-uuid, cstate/role/dstate), `modprobe drbd` / `rmmod drbd`,
 * and the `drbd` init script (start waits for the peer up to wfc-timeout in lab time, then
 * become-primary-on; stop; status as 2701-2707).
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { SYSTEM_COMMANDS } from '../commands/system.js';
import { type ActionResult, type ServiceDef } from '../node/services.js';
import { st } from './state.js';
import type { MinorRt } from './state.js';
import { readDrbdConfig, dumpConfig, hostSections, opt, DrbdConfError, type DrbdConfig } from './drbd-conf.js';
import {
  VERSION,
  attach,
  connect,
  connectedish,
  createMd,
  detach,
  disconnect,
  down,
  dropConnection,
  dumpMd,
  loadModule,
  minorsOf,
  newCurrentUuid,
  primary,
  resolve,
  secondary,
  tryConnectAll,
  waitFor,
  type OpResult,
  type Res,
} from './drbd.js';
import { worldOf } from '../world/world.js';

// ---------- drbdadm ----------

function resNames(cfg: DrbdConfig, args: string[]): string[] {
  return args.includes('all') ? cfg.resources.map((r) => r.name) : args;
}

const drbdadm: CommandFn = async (ctx) => {
  const node = ctx.node;
  let argv = ctx.argv.slice(1);
  let passthrough: string[] = [];
  const dd = argv.indexOf('--');
  if (dd >= 0) {
    // `drbdadm -- --clear-bitmap new-current-uuid r0`: options after -- go to drbdsetup.
    const rest = argv.slice(dd + 1);
    passthrough = rest.filter((a) => a.startsWith('--'));
    argv = [...argv.slice(0, dd), ...rest.filter((a) => !a.startsWith('--'))];
  }
  const flags = argv.filter((a) => a.startsWith('-'));
  const words = argv.filter((a) => !a.startsWith('-'));
  const sub = words[0];
  if (!sub) {
    ctx.err('\nUSAGE: drbdadm COMMAND [OPTION...] {all|RESOURCE...}\n\n');
    return 20;
  }
  let cfg: DrbdConfig;
  try {
    cfg = readDrbdConfig(node);
  } catch (e) {
    if (e instanceof DrbdConfError) {
      ctx.err(`drbdadm: ${e.message}\n`);
      return 10;
    }
    throw e;
  }
  if (sub === 'dump') {
    const only = words.length > 1 && !words.includes('all') ? words.slice(1) : undefined;
    for (const r of only ?? []) {
      if (!cfg.resources.some((x) => x.name === r)) {
        ctx.err(`'${r}' not defined in your config.\n`);
        return 10;
      }
    }
    const bad = cfg.resources
      .map((r) => hostSections(r, node.hostname))
      .find((h): h is string => typeof h === 'string');
    if (bad) {
      ctx.err(`drbdadm: ${bad}\n`);
      return 10;
    }
    ctx.out(dumpConfig(cfg, node.hostname, only));
    return 0;
  }
  const names = resNames(cfg, words.slice(1));
  if (!names.length && sub !== 'wait-con-int' && sub !== 'sh-b-pri') {
    ctx.err(`USAGE: drbdadm ${sub} [OPTION...] {all|RESOURCE...}\n`);
    return 20;
  }
  const answers = ctx.stdin.split('\n');
  if (ctx.stdin === '') answers.length = 0;
  let code = 0;
  const world = worldOf(node);
  for (const name of names) {
    const res = resolve(node, cfg, name);
    if (typeof res === 'string') {
      ctx.err(`${res}\n`);
      code = code || 10;
      continue;
    }
    let r: OpResult;
    switch (sub) {
      case 'create-md':
        r = createMd(node, res, answers, ctx.out);
        break;
      case 'dump-md':
        r = dumpMd(node, res, ctx.out);
        break;
      case 'attach':
        r = attach(node, res);
        break;
      case 'connect':
        r = connect(node, res);
        break;
      case 'up':
        r = attach(node, res);
        if (r.code === 0) r = connect(node, res);
        break;
      case 'adjust': {
        r = { code: 0 };
        const m = minorsOf(node)[res.minor];
        if (!m || m.ds === 'Diskless') r = attach(node, res);
        if (r.code === 0 && !minorsOf(node)[res.minor]?.net) r = connect(node, res);
        break;
      }
      case 'disconnect':
        r = disconnect(node, res);
        break;
      case 'down':
        r = down(node, res);
        break;
      case 'detach':
        r = detach(node, res);
        break;
      case 'primary':
        r = primary(node, res, flags.includes('--force') || passthrough.includes('--overwrite-data-of-peer'));
        break;
      case 'secondary':
        r = secondary(node, res);
        break;
      case 'new-current-uuid':
        r = newCurrentUuid(node, res, passthrough.includes('--clear-bitmap') || flags.includes('--clear-bitmap'));
        break;
      case 'cstate':
        r = { code: 0, out: `${minorsOf(node)[res.minor]?.cs ?? 'Unconfigured'}\n` };
        break;
      case 'role':
        r = {
          code: 0,
          out: minorsOf(node)[res.minor]
            ? `${minorsOf(node)[res.minor].role}/${minorsOf(node)[res.minor].peerRole}\n`
            : 'Unconfigured\n',
        };
        break;
      case 'dstate':
        r = {
          code: 0,
          out: minorsOf(node)[res.minor]
            ? `${minorsOf(node)[res.minor].ds}/${minorsOf(node)[res.minor].pds}\n`
            : 'Unconfigured\n',
        };
        break;
      case 'invalidate':
      case 'invalidate-remote':
      case 'verify':
      case 'resize':
        // NOTE: real drbdadm commands the lab does not model: fail loudly, never as a silent success.
        ctx.err(`drbdadm ${sub}: not modelled by the lab (see src/lab/FIDELITY.md)\n`);
        return 20;
      default:
        ctx.err(`drbdadm: Unknown command '${sub}'\n`);
        return 20;
    }
    if (r.out) ctx.out(r.out);
    if (r.err) ctx.err(r.err);
    if (r.code) code = code || r.code;
  }
  tryConnectAll(world);
  world.changed();
  return code;
};

// `modprobe drbd` loads the module (and creates /proc/drbd); `rmmod drbd` unloads it.
const baseModprobe = SYSTEM_COMMANDS.modprobe;

function unload(node: LabNode): boolean {
  const ns = st(node).of(node);
  if (Object.keys(ns.minors).length) return false;
  ns.drbdLoaded = false;
  node.log('kernel', 'drbd: module cleanup done.');
  return true;
}

// ---------- /etc/init.d/drbd ----------

function statusText(node: LabNode): ActionResult {
  const ns = st(node).of(node);
  if (!ns.drbdLoaded) return { code: 3, out: 'drbd not loaded\n' };
  const rows = Object.values(ns.minors)
    .sort((a, b) => a.minor - b.minor)
    .map((m) => [`${m.minor}:${m.res}`, m.cs, `${m.role}/${m.peerRole}`, `${m.ds}/${m.pds}`, m.net ? 'C' : '', '', '']);
  const cells = [['m:res', 'cs', 'ro', 'ds', 'p', 'mounted', 'fstype'], ...rows];
  const w = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const table = cells
    .map((c) =>
      c
        .map((x, i) => (i === c.length - 1 ? x : x.padEnd(w[i] + 2)))
        .join('')
        .replace(/\s+$/, ''),
    )
    .join('\n');
  return { code: 0, out: `drbd driver loaded OK; device status:\n${VERSION}${table}\n` };
}

async function startDrbd(node: LabNode): Promise<ActionResult> {
  let cfg: DrbdConfig;
  try {
    cfg = readDrbdConfig(node);
  } catch (e) {
    return { code: 1, out: `Starting DRBD resources: drbdadm: ${(e as Error).message}\n` };
  }
  if (!loadModule(node)) return { code: 5, out: 'Starting DRBD resources: Can not load the drbd module.\n' };
  let out = 'Starting DRBD resources: [ ';
  const mine = cfg.resources.map((r) => resolve(node, cfg, r.name)).filter((r): r is Res => typeof r !== 'string');
  const errs: string[] = [];
  for (const res of mine) {
    const m = minorsOf(node)[res.minor];
    if (!m || m.ds === 'Diskless') {
      const r = attach(node, res);
      if (r.code) errs.push(r.err ?? '');
      else out += `d(${res.r.name}) `;
    }
  }
  for (const res of mine) {
    const m = minorsOf(node)[res.minor];
    if (m && !m.net) {
      const r = connect(node, res);
      if (r.code) errs.push(r.err ?? '');
      else out += `n(${res.r.name}) `;
    }
  }
  out += ']';
  if (errs.length) out += '\n' + errs.join('');
  const world = worldOf(node);
  tryConnectAll(world);
  world.changed();
  // wait-con-int: wfc-timeout, or degr-wfc-timeout when this node was degraded before.
  const first = mine[0];
  const degraded = mine.some((r) => st(node).block(node, r.disk).md?.degraded);
  const wfc = Number(opt(first?.r.startup ?? [], 'wfc-timeout') ?? 0);
  const degr = Number(opt(first?.r.startup ?? [], 'degr-wfc-timeout') ?? 60);
  const timeout = degraded ? degr : wfc;
  const allUp = () =>
    mine.every((r) => {
      const m = minorsOf(node)[r.minor];
      return !m || connectedish(m) || m.cs === 'StandAlone';
    });
  if (!allUp() && node.running) {
    out += `\n***************************************************************\n DRBD's startup script waits for the peer node(s) to appear.\n - In case this node was already a degraded cluster before the\n   reboot the timeout is ${degr} seconds. [degr-wfc-timeout]\n - If the peer was available before the reboot the timeout will\n   expire after ${wfc} seconds. [wfc-timeout]\n   (These values are for resource '${first?.r.name}'; 0 sec -> wait forever)\n To abort waiting enter 'yes' [   0]:`;
    await waitFor(world, allUp, timeout * 1000);
  }
  // sh-b-pri: become-primary-on both (or this host).
  for (const res of mine) {
    const bpo = opt(res.r.startup, 'become-primary-on');
    if (bpo === 'both' || bpo === node.hostname) primary(node, res);
  }
  node.markRunning('drbd');
  tryConnectAll(world);
  world.changed();
  return { code: 0, out: out + '.\n' };
}

function stopDrbd(node: LabNode): ActionResult {
  const ns = st(node).of(node);
  let out = 'Stopping all DRBD resources: ';
  let code = 0;
  let cfg: DrbdConfig | undefined;
  try {
    cfg = readDrbdConfig(node);
  } catch {
    cfg = undefined;
  }
  for (const m of Object.values(ns.minors).sort((a, b) => a.minor - b.minor)) {
    const res = cfg ? resolve(node, cfg, m.res) : undefined;
    const r = res && typeof res !== 'string' ? down(node, res) : downRaw(node, m);
    if (r.code) {
      out += r.err ?? '';
      code = 1;
    }
  }
  if (!Object.keys(ns.minors).length) unload(node);
  node.markStopped('drbd');
  worldOf(node).changed();
  return { code, out: out + '.\n' };
}

function downRaw(node: LabNode, m: MinorRt): OpResult {
  if (st(node).layers.heldOpen(node, `/dev/drbd${m.minor}`))
    return {
      code: 11,
      err: `${m.minor}: State change failed: (-12) Device is held open by someone\nCommand 'drbdsetup ${m.minor} down' terminated with exit code 11\n`,
    };
  dropConnection(worldOf(node), node, m, true);
  delete minorsOf(node)[m.minor];
  return { code: 0 };
}

/** The programs of this module, by implementation name. */
export const DRBD_COMMANDS_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  drbdadm: drbdadm,
  drbdsetup: (ctx: CmdCtx) => {
    ctx.err('drbdsetup: use drbdadm in the lab\n');
    return 20;
  },
  drbdmeta: (ctx: CmdCtx) => {
    ctx.err('drbdmeta: use drbdadm in the lab\n');
    return 20;
  },
  modprobe: (ctx) => {
    const mods = ctx.argv.slice(1).filter((x) => !x.startsWith('-'));
    if (!mods.includes('drbd')) return baseModprobe ? baseModprobe(ctx) : 0;
    if (ctx.argv.includes('-r')) return unload(ctx.node) ? 0 : 1;
    if (!loadModule(ctx.node)) {
      ctx.err('FATAL: Module drbd not found.\n');
      return 1;
    }
    ctx.node.world.changed();
    return 0;
  },
  rmmod: (ctx) => {
    if (ctx.argv[1] === 'drbd') {
      if (!unload(ctx.node)) {
        ctx.err('ERROR: Module drbd is in use\n');
        return 1;
      }
      return 0;
    }
    return 0;
  },
};

/** The init scripts of this module. */
export const DRBD_COMMANDS_SERVICES: readonly ServiceDef[] = [
  {
    name: 'drbd',
    header: { levels: '', start: 70, stop: 8 },
    description: 'Control drbd resources.',
    usage: 'start|stop|status|reload|restart|force-reload',
    start: (node) => startDrbd(node),
    stop: (node) => stopDrbd(node),
    status: (node) => statusText(node),
    actions: {
      // NOTE: 8.3's reload is `drbdadm adjust all`: the lab applies config on attach/connect already.
      reload: () => ({ code: 0, out: '' }),
    },
  },
];
