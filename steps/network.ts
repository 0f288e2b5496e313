/**
 * Bonds and the IFN bridge: back up the installer's ifcfg-ethX files, write the bridge, the three
 * active/passive bonds and the six slave interfaces, restart the network and read the bonds back.
 */
import type { Evidence, FileSpec, NodeHandle, Step, TaskContext } from '../src/engine/types.js';
import type { Bond, Plan, PlanNode } from '../src/plan/derive.js';
import { NET_TITLES } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed, type Cause } from '../src/errors.js';
import { contentOf } from '../src/engine/walk.js';
import { parseBonding } from '../src/verify/bonding.js';
import { parseIpAddr } from '../src/verify/ip-addr.js';
import { roleName } from './nics.js';
import { SCRIPTS } from './nic-names.js';
import { ROOT_BACKUPS } from '../src/engine/node-handle.js';
import { sleep } from '../src/util/sleep.js';
import { clock } from '../src/util/clock.js';

const BACKUPS = `${ROOT_BACKUPS}/`;
const RESTART_DONE = '/var/run/anvil-network-restart.done';
const RESTART_LOG = '/var/log/anvil-network-restart.log';

/** Timing of the wait after `network restart`; tests may shorten it. */
export const NETWORK_TIMING = {
  /** How long the restart itself may take (reconnects included). */
  restartTimeoutMs: 180_000,
  /** Poll interval while waiting. */
  pollMs: 2_000,
  /** Extra time beyond the bonds' updelay for the primaries to become active. */
  settleExtraMs: 60_000,
};

/** The ifcfg files of a node, in the tutorial's order: bridge, bonds, then eth0..eth5. */
export function networkFiles(p: Plan, n: PlanNode): FileSpec[] {
  const ifnBond = n.bonds.find((b) => b.net === 'ifn')!;
  return [
    {
      path: `${SCRIPTS}/ifcfg-${p.ifn.bridge}`,
      template: 'network/ifcfg-bridge.ejs',
      locals: { title: NET_TITLES[ifnBond.net] },
      backup: 'none',
    },
    ...n.bonds.map((bond): FileSpec => ({
      path: `${SCRIPTS}/ifcfg-${bond.dev}`,
      template: 'network/ifcfg-bond.ejs',
      locals: { bond, title: NET_TITLES[bond.net] },
      backup: 'none',
    })),
    ...n.ifaces.map((iface): FileSpec => ({
      path: `${SCRIPTS}/ifcfg-${iface.dev}`,
      template: 'network/ifcfg-eth.ejs',
      locals: { iface, title: NET_TITLES[iface.net] },
      backup: 'root-backups',
    })),
  ];
}

function prefixOf(cidr: string): number {
  return Number(cidr.split('/')[1]);
}

/** The addresses that must be up after the restart: device -> ip/prefix. */
export function plannedAddresses(p: Plan, n: PlanNode): { dev: string; ip: string; prefix: number; net: string }[] {
  return [
    ...n.bonds
      .filter((b) => b.ip)
      .map((b) => ({ dev: b.dev, ip: b.ip!, prefix: prefixOf(p.nets[b.net].cidr), net: b.net })),
    { dev: p.ifn.bridge, ip: n.ifn, prefix: prefixOf(p.nets.ifn.cidr), net: 'ifn' },
  ];
}

const MODE_NAMES: Record<number, string> = {
  0: 'load balancing (round-robin)',
  1: 'fault-tolerance (active-backup)',
  2: 'load balancing (xor)',
  3: 'fault-tolerance (broadcast)',
  4: 'IEEE 802.3ad Dynamic link aggregation',
  5: 'transmit load balancing',
  6: 'adaptive load balancing',
};

/** Problems of one bond as /proc/net/bonding/bondN shows it; [] when healthy. */
export function bondProblems(p: Plan, n: PlanNode, bond: Bond, text: string | null): string[] {
  const where = (dev: string) => {
    const i = n.ifaces.find((x) => x.dev === dev);
    return i ? `(${n.name} ${roleName(i)})` : `(${n.name})`;
  };
  if (text === null) return [`${bond.dev}: /proc/net/bonding/${bond.dev} does not exist (bond not up)`];
  const st = parseBonding(text);
  const out: string[] = [];
  const mode = MODE_NAMES[p.bonding.mode];
  if (mode && st.mode && st.mode !== mode) out.push(`${bond.dev}: mode "${st.mode}", expected "${mode}"`);
  if (st.mii !== undefined && st.mii !== 'up') out.push(`${bond.dev}: MII ${st.mii}`);
  for (const dev of bond.slaves) {
    const s = st.slaves.find((x) => x.name === dev);
    if (!s) {
      out.push(`${bond.dev}: slave ${dev} missing ${where(dev)}`);
      continue;
    }
    if (s.mii !== 'up') out.push(`${bond.dev}: slave ${dev} MII ${s.mii} ${where(dev)}`);
    const mac = n.ifaces.find((i) => i.dev === dev)?.mac;
    if (mac && s.permanentMac && s.permanentMac !== mac.toLowerCase())
      out.push(`${bond.dev}: slave ${dev} has MAC ${s.permanentMac.toUpperCase()}, expected ${mac} ${where(dev)}`);
  }
  for (const s of st.slaves) if (!bond.slaves.includes(s.name)) out.push(`${bond.dev}: unexpected slave ${s.name}`);
  if (st.primary !== bond.primary)
    out.push(`${bond.dev}: primary slave ${st.primary ?? 'none'}, expected ${bond.primary} ${where(bond.primary)}`);
  if (st.active !== bond.primary)
    out.push(
      `${bond.dev}: currently active slave ${st.active ?? 'none'}, expected the primary ${bond.primary} ${where(bond.primary)}`,
    );
  if (st.pollMs !== undefined && st.pollMs !== p.bonding.miimon)
    out.push(`${bond.dev}: MII polling ${st.pollMs} ms, expected miimon=${p.bonding.miimon}`);
  if (st.upDelayMs !== undefined && st.upDelayMs !== p.bonding.updelay)
    out.push(`${bond.dev}: up delay ${st.upDelayMs} ms, expected updelay=${p.bonding.updelay}`);
  if (st.downDelayMs !== undefined && st.downDelayMs !== p.bonding.downdelay)
    out.push(`${bond.dev}: down delay ${st.downDelayMs} ms, expected downdelay=${p.bonding.downdelay}`);
  return out;
}

/** Problems of the addresses from `ip -o -4 addr show`; [] when every planned address is up. */
export function addressProblems(p: Plan, n: PlanNode, ipAddrText: string): string[] {
  const addrs = parseIpAddr(ipAddrText);
  const out: string[] = [];
  for (const want of plannedAddresses(p, n)) {
    if (addrs.some((a) => a.dev === want.dev && a.ip === want.ip && a.prefix === want.prefix)) continue;
    const on = addrs.filter((a) => a.dev === want.dev).map((a) => `${a.ip}/${a.prefix}`);
    const elsewhere = addrs.find((a) => a.ip === want.ip);
    out.push(
      `${want.dev}: ${want.ip}/${want.prefix} (${want.net.toUpperCase()}) not up` +
        (on.length ? `; ${want.dev} has ${on.join(', ')}` : `; ${want.dev} has no IPv4 address`) +
        (elsewhere && elsewhere.dev !== want.dev ? `; ${want.ip} is on ${elsewhere.dev}` : ''),
    );
  }
  const ifnBond = n.bonds.find((b) => b.bridge);
  if (ifnBond)
    for (const a of addrs.filter((x) => x.dev === ifnBond.dev))
      out.push(`${ifnBond.dev}: has ${a.ip}/${a.prefix}; the IFN address belongs on the bridge ${ifnBond.bridge}`);
  return out;
}

/** A NIC without link as a cause of drift: hardware (a cable, a switch port, a switch), not a step to re-apply. */
export function linkCause(n: PlanNode, dev: string): Cause {
  const i = n.ifaces.find((x) => x.dev === dev);
  return {
    key: `link ${n.name} ${dev}`,
    text: `${n.name} ${dev}${i ? ` (${roleName(i)})` : ''} has no link: a pulled cable, a dead switch port or a switch that is off`,
    hardware: true,
  };
}

/**
 * The links a node's bonds miss (a planned slave absent or MII down) as causes, when they explain every
 * problem seen (each names one of those NICs); [] otherwise.
 */
export function linkCauses(
  n: PlanNode,
  bonding: ReadonlyMap<string, string | null>,
  problems: readonly string[],
): Cause[] {
  const down: string[] = [];
  for (const bond of n.bonds) {
    const text = bonding.get(bond.dev);
    if (!text) return [];
    const st = parseBonding(text);
    for (const dev of bond.slaves) if (st.slaves.find((x) => x.name === dev)?.mii !== 'up') down.push(dev);
  }
  const names = (line: string) => down.some((dev) => new RegExp(`\\b${dev}\\b`).test(line));
  return down.length && problems.every(names) ? down.map((dev) => linkCause(n, dev)) : [];
}

/** Whether some planned slave is absent from its bond or has no link (MII down), per the bonding files read. */
function linkMissing(n: PlanNode, bonding: ReadonlyMap<string, string | null>): boolean {
  for (const bond of n.bonds) {
    const text = bonding.get(bond.dev);
    if (!text) return true;
    const st = parseBonding(text);
    for (const name of bond.slaves) {
      const slave = st.slaves.find((x) => x.name === name);
      if (!slave || slave.mii !== 'up') return true;
    }
  }
  return false;
}

/** Read bonds and addresses and list every problem (read-only); `bonding`: each bond's file as read. */
export async function networkProblems(
  ctx: TaskContext,
): Promise<{ problems: string[]; seen: string[]; bonding: Map<string, string | null> }> {
  const n = ctx.node.plan;
  const problems: string[] = [];
  const seen: string[] = [];
  const bonding = new Map<string, string | null>();
  for (const bond of n.bonds) {
    const text = await ctx.node.readFile(`/proc/net/bonding/${bond.dev}`);
    bonding.set(bond.dev, text);
    problems.push(...bondProblems(ctx.plan, n, bond, text));
    if (text) {
      const st = parseBonding(text);
      seen.push(`${bond.dev}: active ${st.active}, ${st.slaves.map((s) => `${s.name} ${s.mii}`).join(', ')}`);
    }
  }
  problems.push(...addressProblems(ctx.plan, n, await ctx.node.sh('ip -o -4 addr show')));
  return { problems, seen, bonding };
}

/**
 * Restart the network without losing the run: the restart drops the SSH session, so it runs detached
 * and leaves a marker; the session is re-opened until the marker shows the restart finished.
 */
/** The commands `restartNetwork` runs, as it runs them (the approval screen shows these). */
export function restartCommands(): string[] {
  return [
    `rm -f ${RESTART_DONE}`,
    `nohup sh -c 'sleep 1; /etc/init.d/network restart >${RESTART_LOG} 2>&1; touch ${RESTART_DONE}' >/dev/null 2>&1 &`,
  ];
}

async function restartNetwork(node: NodeHandle, log: (m: string) => void): Promise<void> {
  const [clean, restart] = restartCommands();
  await node.sh(clean);
  await node.exec(restart, { timeoutMs: 30_000 });
  const deadline = clock().now() + NETWORK_TIMING.restartTimeoutMs;
  let reconnect = true;
  for (;;) {
    try {
      if (reconnect) await node.waitForReconnect?.(NETWORK_TIMING.restartTimeoutMs);
      reconnect = false;
      if ((await node.exec(`test -e ${RESTART_DONE}`, { timeoutMs: 15_000 })).code === 0) break;
    } catch {
      // NOTE: the restart took the session down (again); re-open it and look for the marker again.
      reconnect = true;
    }
    if (clock().now() > deadline)
      throw new AnvilError(
        `${node.plan.name}: the network did not come back within ${NETWORK_TIMING.restartTimeoutMs / 1000} s after /etc/init.d/network restart`,
        `use the console (iKVM/IPMI) to check the ifcfg files; the originals are in ${BACKUPS}`,
      );
    await sleep(NETWORK_TIMING.pollMs);
  }
  const out = await node.readFile(RESTART_LOG);
  if (out) log(`${node.plan.name}: /etc/init.d/network restart\n${out.trimEnd()}`);
}

/** The ifcfg files on the node are the planned ones (read back line by line). */
async function verifyNetworkFiles(ctx: TaskContext): Promise<Evidence> {
  const { plan, node } = ctx;
  const n = node.plan;
  const bad: string[] = [];
  const files = networkFiles(plan, n);
  for (const spec of files) {
    const want = contentOf(spec, plan, n);
    const seen = await node.readFile(spec.path);
    if (seen === null) {
      bad.push(`${spec.path} missing`);
      continue;
    }
    const norm = (s: string) =>
      s
        .split('\n')
        .map((l) => l.trimEnd())
        .filter(Boolean);
    const [w, s] = [norm(want), norm(seen)];
    const i = w.findIndex((l, k) => s[k] !== l);
    if (i >= 0 || s.length !== w.length)
      bad.push(
        `${spec.path} line ${(i >= 0 ? i : w.length) + 1}: "${s[i >= 0 ? i : w.length] ?? ''}" instead of "${w[i] ?? ''}"`,
      );
  }
  for (const i of n.ifaces) if (!i.mac) bad.push(`${i.dev}: no MAC recorded (run the NIC MAC capture step)`);
  if (bad.length) throw new VerifyFailed('network.files', n.name, 'the ifcfg files as planned', bad.join('; '));
  return { summary: `${files.length} ifcfg files as planned`, details: { files: files.length } };
}

/**
 * A changed network answer on a configured node: write the files that differ, and leave the running
 * network alone. `network restart` drops every bond for a moment; on a cluster member that loses the
 * BCN (totem) and the SN (DRBD), and its peer fences it. The tutorial never restarts the network of a
 * running cluster: the new files take effect at the node's next boot, which the to-do line asks for.
 */
async function reapplyNetworkFiles(ctx: TaskContext): Promise<void> {
  const n = ctx.node.plan;
  for (const spec of networkFiles(ctx.plan, n)) {
    const content = contentOf(spec, ctx.plan, n);
    if ((await ctx.node.readFile(spec.path)) !== content)
      await ctx.node.writeFile(spec.path, content, { mode: spec.mode, backup: spec.backup });
  }
  const { problems, bonding } = await networkProblems(ctx);
  if ([...bonding.values()].some(Boolean) && problems.length)
    ctx.log(
      `${n.name}: the new network settings are written but the running ones differ (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}): a reboot is needed for them to take effect; withdraw the node first (migrate its guests, stop rgmanager and cman), reboot, let it rejoin`,
    );
}

export const network: Step = {
  id: 'network',
  perNode: true,
  title: 'Bonds and the IFN bridge',
  ifSkipped:
    'no bonds, no bridge, no BCN/SN/IFN addresses: every later step needs them; hosts, SSH keys and the cluster (cluster-foundation) fail',
  doc:
    'Six interfaces are bonded into three pairs in Active/Passive (mode 1), each link on an alternate switch; the only ' +
    'configuration Red Hat supports in clusters. eth0, eth1 and eth2 are primary for bond0 (BCN), bond1 (SN) and bond2 ' +
    '(IFN), so when everything works all traffic goes through the same switch. The IFN bond carries no address: it is ' +
    'slaved to the bridge vbr2, a virtual switch that connects the virtual machines to the outside world, and the ' +
    'bridge holds the address. BONDING_OPTS: mode=1 is active-backup; miimon checks the link every 100 ms; ' +
    'use_carrier=1 lets the driver report link state; updelay=120000 waits two minutes before switching back to the ' +
    "primary, giving its switch time to finish booting; downdelay=0 fails over immediately. The installer's " +
    'ifcfg-ethX files are backed up to /root/backups/ first, in case something goes wrong and you want to start over.',
  warnings: [
    "Losing access to your server's network is a very real possibility! Do not continue without direct access to your " +
      'servers! If you have out-of-band access via iKVM, console redirection or similar, be sure to test that it is working before proceeding.',
  ],
  tasks: [
    {
      id: 'network.backup',
      title: 'Back up the original ifcfg-ethX files',
      on: 'both',
      kind: 'safe',
      // NOTE: --ignore-existing: a re-run or resume must never replace the installer's originals with our own files.
      commands: () => [`mkdir -p ${BACKUPS}`, `rsync -av --ignore-existing ${SCRIPTS}/ifcfg-eth* ${BACKUPS}`],
      expect: () => [`${BACKUPS} holds the installer's ifcfg-eth* files (kept from the first run)`],
      expectedOutput: () =>
        [
          'sending incremental file list',
          ...[0, 1, 2, 3, 4, 5].map((i) => `ifcfg-eth${i}`),
          'sent 1467 bytes  received 126 bytes  3186.00 bytes/sec',
          'total size is 1119  speedup is 0.70',
        ].join('\n'),
      async verify(ctx) {
        const r = await ctx.node.exec(`ls -1 ${BACKUPS}`);
        const saved = r.stdout.split(/\s+/).filter((f) => /^ifcfg-eth\d+$/.test(f));
        if (r.code !== 0 || saved.length === 0)
          throw new VerifyFailed(
            'network.backup',
            ctx.node.plan.name,
            `ifcfg-eth* backups in ${BACKUPS}`,
            r.code !== 0 ? `${BACKUPS} missing` : `none (${r.stdout.trim() || 'empty'})`,
          );
        return {
          summary: `${saved.length} backups in ${BACKUPS}: ${saved.join(' ')}`,
          details: { backups: saved.length },
        };
      },
    },
    {
      id: 'network.files',
      title: 'Write the bridge, bond and interface configurations',
      on: 'both',
      kind: 'safe',
      files: (p, n) => networkFiles(p, n),
      expect: (p, n) => [
        `${p.ifn.bridge}: ${n.ifn} netmask ${p.nets.ifn.netmask}${p.ifn.gateway ? ` gateway ${p.ifn.gateway}` : ''}`,
        ...n.bonds.map(
          (b) =>
            `${b.dev}: ${b.slaves.join('+')} primary ${b.primary}${b.ip ? `, ${b.ip} netmask ${b.netmask}` : `, slaved to ${b.bridge}`}`,
        ),
        ...n.ifaces.map((i) => `${i.dev}: HWADDR ${i.mac ?? '(captured)'}, slave of ${i.bond}`),
      ],
      verify: verifyNetworkFiles,
      live: {
        summary: () =>
          'writes the changed ifcfg files; the running bonds, bridge and addresses keep their settings until the node reboots: the tool never restarts the network of a node in the cluster (a dropped BCN link gets it fenced by its peer); the run ends with a to-do to reboot each node in turn, withdrawn first',
        commands: (p, n) => networkFiles(p, n).map((f) => `# write ${f.path} (only if it changed)`),
        run: reapplyNetworkFiles,
        verify: verifyNetworkFiles,
      },
    },
    {
      id: 'network.restart',
      title: 'Restart the network and check the bonds',
      // NOTE: one node at a time, so a bad configuration never takes both nodes off the network at once.
      on: 'each',
      kind: 'safe',
      disrupts:
        'restarts the network on each node in turn: SSH drops for a moment, and a wrong bond or bridge file cuts the node off (have its console ready)',
      commands: () => ['/etc/init.d/network restart'],
      // NOTE: detached, so the restart survives the SSH session it drops; the tool then waits for the marker.
      preview: async () => restartCommands(),
      expect: (p, n) => [
        ...n.bonds.map(
          (b) =>
            `/proc/net/bonding/${b.dev}: slaves ${b.slaves.join(' and ')} MII up, primary and currently active slave ${b.primary}`,
        ),
        ...plannedAddresses(p, n).map((a) => `ip -o -4 addr show: ${a.ip}/${a.prefix} on ${a.dev}`),
      ],
      expectedOutput: (p, n) => {
        const b = n.bonds[0];
        const mac = (dev: string) => (n.ifaces.find((i) => i.dev === dev)?.mac ?? '..:..:..:..:..:..').toLowerCase();
        return [
          `cat /proc/net/bonding/${b.dev}`,
          'Ethernet Channel Bonding Driver: v3.6.0 (September 26, 2009)',
          '',
          `Bonding Mode: ${MODE_NAMES[p.bonding.mode] ?? `mode ${p.bonding.mode}`}`,
          `Primary Slave: ${b.primary} (primary_reselect always)`,
          `Currently Active Slave: ${b.primary}`,
          'MII Status: up',
          `MII Polling Interval (ms): ${p.bonding.miimon}`,
          `Up Delay (ms): ${p.bonding.updelay}`,
          `Down Delay (ms): ${p.bonding.downdelay}`,
          ...b.slaves.flatMap((s) => [
            '',
            `Slave Interface: ${s}`,
            'MII Status: up',
            'Link Failure Count: 0',
            `Permanent HW addr: ${mac(s)}`,
            'Slave queue ID: 0',
          ]),
        ].join('\n');
      },
      async run(ctx) {
        // NOTE: only ever before the cluster exists (step 5): on a member, a restart drops the BCN and
        // its peer fences it. A re-apply the operator approved on a running cluster is refused here.
        if ((await ctx.node.exec('/etc/init.d/cman status')).code === 0)
          throw new AnvilError(
            `${ctx.node.plan.name} is a running cluster member: the tool does not restart its network (the bonds drop for a moment, its peer would fence it)`,
            'withdraw the node (migrate its guests, stop rgmanager and cman), reboot it so the ifcfg files take effect, let it rejoin; then resume',
          );
        await restartNetwork(ctx.node, ctx.log);
        // NOTE: after a restart the first slave with link becomes active at once; the primary takes over
        // only after updelay, so wait for that (or for the deadline; verify then reports what it sees).
        // A slave without link (pulled cable, dead switch port, wrong HWADDR) will not heal by waiting:
        // stop at once and let verify name it.
        const deadline = clock().now() + ctx.plan.bonding.updelay + NETWORK_TIMING.settleExtraMs;
        for (;;) {
          const { problems, bonding } = await networkProblems(ctx);
          if (problems.length === 0 || clock().now() > deadline || linkMissing(ctx.node.plan, bonding)) return;
          await sleep(NETWORK_TIMING.pollMs);
        }
      },
      async verify(ctx) {
        const { problems, seen, bonding } = await networkProblems(ctx);
        const n = ctx.node.plan;
        if (problems.length)
          throw new VerifyFailed(
            'network.restart',
            n.name,
            'every bond on its primary with both links up, and the addresses up',
            problems.join('; '),
            linkCauses(n, bonding, problems),
          );
        return {
          summary: `${n.bonds.map((b) => `${b.dev} on ${b.primary}`).join(', ')}; ${plannedAddresses(ctx.plan, n)
            .map((a) => `${a.ip} on ${a.dev}`)
            .join(', ')}`,
          details: Object.fromEntries(seen.map((s) => [s.split(':')[0], s.slice(s.indexOf(':') + 2)])),
        };
      },
    },
  ],
};
