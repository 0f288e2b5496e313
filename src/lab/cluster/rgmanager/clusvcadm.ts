/**
 * `clusvcadm` (rgmanager 3.0.12): -e enable [-m member], -d disable, -r relocate [-m member],
 * -M migrate -m member, -R restart, -s stop, -v. Prints what clusvcadm.c prints: `Local machine
 * disabling service:X...Success`, `Member <m> trying to enable service:X...Success` then
 * `service:X is now running on <fqdn>`, `Trying to migrate vm:X to <m>...Success`; a name without a
 * `type:` prefix means `service:`. The command waits until the operation is done, like the real tool.
 */
import type { CommandFn } from '../../node/command.js';
import { clusterView } from '../view.js';
import { rgmanager, RG, type Rgmanager } from './model.js';
import type { Group } from './conf.js';
import { worldOf } from '../../world/world.js';

const ERR: Record<number, string> = {
  [RG.SUCCESS]: 'Success',
  [RG.EFAIL]: 'Failure',
  [RG.ENOSERVICE]: 'Service does not exist',
  [RG.EINVAL]: 'Invalid operation for resource',
  [RG.EQUORUM]: 'Operation requires quorum',
  [RG.ERUN]: 'Service is already running',
  [RG.ENODE]: 'Target node dead / nonexistent',
  [RG.EDOMAIN]: 'Service not runnable',
};

const USAGE = `usage: clusvcadm [command]

Resource Group Control Commands:
  -v                     Display version and exit
  -d <group>             Disable <group>.  This stops a group
                         until an administrator enables it again,
                         the cluster loses and regains quorum, or
                         an administrator-defined event script
                         explicitly enables it again.
  -e <group>             Enable <group>
  -e <group> -F          Enable <group> according to failover
                         domain rules (deprecated; always the
                         case when using central processing)
  -e <group> -m <member> Enable <group> on <member>
  -r <group> -m <member> Relocate <group> [to <member>]
                         Stops a group and starts it on another
                         cluster member.
  -M <group> -m <member> Migrate <group> to <member>
                         (e.g. for live migration of VMs)
  -q                     Quiet operation
  -R <group>             Restart a group in place.
  -s <group>             Stop <group>.  This temporarily stops
                         a group.  After the next group or
                         or cluster member transition, the group
                         will be restarted (if possible).
`;

type Action = 'e' | 'd' | 'r' | 'M' | 'R' | 's';
const PHRASE: Record<Action, string> = {
  e: 'trying to enable',
  d: 'disabling',
  r: 'relocate',
  M: 'migrate',
  R: 'trying to restart',
  s: 'stopping',
};

/** Run the request against the model; returns an RG code and the new owner. */
async function perform(
  rg: Rgmanager,
  me: string,
  action: Action,
  g: Group,
  target: string | undefined,
): Promise<{ ret: number; owner?: string }> {
  const st = rg.status(g.id);
  if (!st) return { ret: RG.ENOSERVICE };
  const run = async (fn: () => Promise<{ ret: number; owner?: string }>) => {
    for (let i = 0; i < 600; i++) {
      const r = await rg.exclusive(g.id, fn);
      if (r) return r;
      await rg.idle();
      await new Promise((res) => setImmediate(res));
    }
    return { ret: RG.EFAIL };
  };
  const up = (n: string) => rg.rgMembers(me).includes(n);
  switch (action) {
    case 'e':
      return run(async () => {
        const cur = rg.status(g.id)!;
        if (cur.state === 'started') return { ret: RG.ERUN, owner: cur.owner };
        if (cur.state === 'failed') {
          rg.log(me, `#44: Cannot start RG ${g.id}: Invalid State 114`);
          return { ret: RG.EFAIL };
        }
        const t = target ?? me;
        if (!up(t)) return { ret: RG.ENODE };
        if (!rg.allowed(g, t)) return { ret: RG.EDOMAIN };
        const rc = await rg.doStart(t, g, cur.state === 'disabled' ? 'disabled' : 'stopped');
        return rc === 0 ? { ret: RG.SUCCESS, owner: t } : { ret: RG.EFAIL };
      });
    case 'd':
    case 's':
      return run(async () => {
        const cur = rg.status(g.id)!;
        const to = action === 'd' ? 'disabled' : 'stopped';
        if (!cur.owner || cur.state === 'disabled' || cur.state === 'stopped' || cur.state === 'failed') {
          if (action === 'd') rg.markDisabled(g.id);
          return { ret: RG.SUCCESS };
        }
        return { ret: (await rg.doStop(cur.owner, g, to)) === 0 ? RG.SUCCESS : RG.EFAIL };
      });
    case 'R':
      return run(async () => {
        const cur = rg.status(g.id)!;
        if (cur.state !== 'started' || !cur.owner) return { ret: RG.EINVAL };
        const owner = cur.owner;
        if ((await rg.doStop(owner, g, 'stopped')) !== 0) return { ret: RG.EFAIL };
        return (await rg.doStart(owner, g, 'quiet')) === 0 ? { ret: RG.SUCCESS, owner } : { ret: RG.EFAIL };
      });
    case 'r':
      return run(async () => {
        const cur = rg.status(g.id)!;
        const from = cur.owner;
        const t = target ?? rg.candidates(g, me, from ? [from] : [])[0];
        if (!t || !up(t)) return { ret: RG.ENODE };
        if (!rg.allowed(g, t)) return { ret: RG.EDOMAIN };
        if (from === t && cur.state === 'started') return { ret: RG.SUCCESS, owner: t };
        if (from && cur.state === 'started' && (await rg.doStop(from, g, 'stopped')) !== 0) return { ret: RG.EFAIL };
        return (await rg.doStart(t, g, 'quiet')) === 0 ? { ret: RG.SUCCESS, owner: t } : { ret: RG.EFAIL };
      });
    case 'M':
      return run(async () => {
        const cur = rg.status(g.id)!;
        if (g.kind !== 'vm' || cur.state !== 'started' || !cur.owner || cur.owner === target) return { ret: RG.EINVAL };
        if (!target || !up(target)) return { ret: RG.ENODE };
        if (!rg.allowed(g, target)) return { ret: RG.EDOMAIN };
        return (await rg.doMigrate(g, target)) === 0 ? { ret: RG.SUCCESS, owner: target } : { ret: RG.EFAIL };
      });
  }
}

/** The clusvcadm command. */
export const clusvcadm: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1);
  let action: Action | undefined;
  let svc: string | undefined;
  let member: string | undefined;
  let quiet = false;
  for (let i = 0; i < a.length; i++) {
    const o = a[i];
    const m = /^-([edrMRsmnqvFh?])(.*)$/.exec(o);
    if (!m) continue;
    const f = m[1];
    const arg = () => (m[2] ? m[2] : a[++i]);
    if (f === 'v') {
      ctx.out('3.0.12.1\n');
      return 0;
    }
    if (f === 'q') quiet = true;
    else if (f === 'F') continue;
    else if (f === 'm' || f === 'n') member = arg();
    else if (f === 'h' || f === '?') {
      ctx.out(USAGE);
      return 1;
    } else {
      action = f as Action;
      svc = arg();
    }
  }
  if (!action || !svc) {
    ctx.out(USAGE);
    return 1;
  }
  const out = (s: string) => {
    if (!quiet) ctx.out(s);
  };
  if (action === 'M' && !member) {
    out('Migration requires a target cluster member\n');
    return 1;
  }
  const id = svc.includes(':') ? svc : `service:${svc}`;
  const w = worldOf(ctx.node);
  const me = ctx.node.name;
  const v = clusterView(w);
  const rg = rgmanager(w);
  if (!v || !v.isMember(me) || !rg) {
    out('Could not connect to cluster service\n');
    return 1;
  }
  let target: string | undefined;
  let shown = member;
  if (member) {
    const conf = rg.daemon(me)?.conf ?? rg.readConf(me);
    // NOTE: cman's node list holds every configured node, online or not.
    const memberNames = conf?.nodes ?? [];
    let hit = memberNames.find((n) => n.name === member);
    if (!hit) {
      out(`'${member}' not in membership list\n`);
      const scored = memberNames.map((n) => {
        let c = 0;
        while (c < n.name.length && c < member.length && n.name[c] === member[c]) c++;
        return { n, c };
      });
      const best = Math.max(0, ...scored.map((x) => x.c));
      const top = scored.filter((x) => x.c === best && best > 0);
      if (!top.length) {
        out(`No matches for '${member}' found\n`);
        return 1;
      }
      if (top.length > 1) {
        out(`More than one possible match for '${member}' found\n`);
        return 1;
      }
      hit = top[0].n;
      out(`Closest match: '${hit.name}'\n`);
      shown = hit.name;
    }
    target = rg.labName(hit.name);
    if (action === 'M' && !rg.members(me).includes(target ?? '')) {
      out(`'${member}' is offline\n`);
      return 1;
    }
  }
  if (action === 'r' || action === 'M')
    out(target ? `Trying to ${PHRASE[action]} ${id} to ${shown}...` : `Trying to ${PHRASE[action]} ${id}...`);
  else out(member ? `Member ${shown} ${PHRASE[action]} ${id}...` : `Local machine ${PHRASE[action]} ${id}...`);
  if (!rg.daemon(me)) {
    out('Could not connect to resource group manager\n');
    return 1;
  }
  if (!v.quorate(me)) {
    out(`${ERR[RG.EQUORUM]}\n`);
    return RG.EQUORUM & 0xff;
  }
  const g = rg.group(id);
  if (!g || !rg.status(id)) {
    out(`${ERR[RG.ENOSERVICE]}\n`);
    return RG.ENOSERVICE & 0xff;
  }
  const r = await perform(rg, me, action, g, target);
  out(`${ERR[r.ret] ?? 'Failure'}\n`);
  if (r.ret === RG.ERUN) return 0;
  if (r.ret !== RG.SUCCESS) return r.ret & 0xff;
  if ((action === 'e' || action === 'r') && r.owner) {
    const fqdn = rg.cnName(r.owner);
    out(`${member && r.owner !== target ? 'Warning: ' : ''}${id} is now running on ${fqdn}\n`);
  }
  return 0;
};
