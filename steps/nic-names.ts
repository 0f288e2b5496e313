/**
 * Pin each NIC's name to its MAC, so that the ifcfg-ethX files (DEVICE + HWADDR) find the NIC the plan
 * gives each role. When the kernel named the NICs otherwise (or the operator reassigned roles), EL6's
 * way is the tutorial's interface re-ordering: set the names in udev's 70-persistent-net.rules, make
 * each ifcfg-ethX's HWADDR match, and reboot.
 */
import type { FileSpec, Task } from '../src/engine/types.js';
import type { PlanNode } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { readNics, nicDifferences, roleName, type NicMap } from './nic-map.js';
import { rebootAndWait } from './reboot.js';

/** udev's rules of persistent NIC names. */
export const UDEV_NET_RULES = '/etc/udev/rules.d/70-persistent-net.rules';
/** Folder of the ifcfg-* files. */
export const SCRIPTS = '/etc/sysconfig/network-scripts';
const ADDR_RE = /ATTR\{address\}=="([0-9A-Fa-f:]{17})"/;
const NAME_RE = /NAME="([^"]*)"/;

/** The rule EL6's write_net_rules writes for one NIC. */
export function udevRule(mac: string, dev: string): string {
  return `SUBSYSTEM=="net", ACTION=="add", DRIVERS=="?*", ATTR{address}=="${mac.toLowerCase()}", ATTR{type}=="1", KERNEL=="eth*", NAME="${dev}"`;
}

/**
 * Give each planned MAC its planned name in a 70-persistent-net.rules text: existing rules are renamed,
 * missing ones appended, and a rule of some other NIC that claims a planned name is commented out.
 * Idempotent; a text that already agrees comes back unchanged.
 */
export function pinNicNames(text: string, want: { dev: string; mac: string }[]): string {
  const byMac = new Map(want.map((w) => [w.mac.toLowerCase(), w.dev]));
  const names = new Set(want.map((w) => w.dev));
  const seen = new Set<string>();
  const lines = text.split('\n').map((line) => {
    if (line.trim().startsWith('#')) return line;
    const mac = ADDR_RE.exec(line)?.[1]?.toLowerCase();
    const name = NAME_RE.exec(line)?.[1];
    if (!mac || name === undefined) return line;
    const dev = byMac.get(mac);
    if (dev) {
      seen.add(mac);
      return name === dev ? line : line.replace(NAME_RE, `NAME="${dev}"`);
    }
    return names.has(name) ? `# ${line}` : line;
  });
  const missing = want.filter((w) => !seen.has(w.mac.toLowerCase()));
  if (!missing.length) return lines.join('\n');
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return [
    ...lines,
    '',
    '# Pinned by anvil-install (role -> MAC)',
    ...missing.map((w) => udevRule(w.mac, w.dev)),
    '',
  ].join('\n');
}

/** Set HWADDR in an ifcfg text (unchanged when it already holds that MAC, in any case or quoting). */
export function setHwaddr(text: string, mac: string): string {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^\s*HWADDR=/.test(l));
  if (i >= 0) {
    const cur = lines[i]
      .replace(/^\s*HWADDR=/, '')
      .replace(/["']/g, '')
      .trim();
    if (cur.toUpperCase() === mac.toUpperCase()) return text;
    lines[i] = `HWADDR="${mac.toUpperCase()}"`;
    return lines.join('\n');
  }
  const d = lines.findIndex((l) => /^\s*DEVICE=/.test(l));
  lines.splice(d >= 0 ? d + 1 : 0, 0, `HWADDR="${mac.toUpperCase()}"`);
  return lines.join('\n');
}

function planned(n: PlanNode): { dev: string; mac: string }[] {
  return n.ifaces.filter((i) => i.mac).map((i) => ({ dev: i.dev, mac: i.mac! }));
}

function mapOf(n: PlanNode): NicMap {
  const m = {} as NicMap;
  for (const i of n.ifaces) (m[i.net] ??= ['', ''] as [string, string])[i.link - 1] = i.mac ?? '';
  return m;
}

/** The task: udev names + HWADDR lines as planned, and a reboot when a name has to change. */
export const nicNamesTask: Task = {
  id: 'nics.names',
  title: 'Pin NIC names to their MACs (udev), rebooting if a name changes',
  on: 'each',
  kind: 'safe',
  disrupts: 'reboots a node whose NIC names change (one node at a time)',
  files: (_p, n): FileSpec[] =>
    n.ifaces.some((i) => !i.mac)
      ? []
      : [
          {
            path: UDEV_NET_RULES,
            template: 'etc/udev/70-persistent-net.rules.ejs',
            edit: (t) => pinNicNames(t, planned(n)),
            backup: 'orig',
          },
          ...n.ifaces.map((i): FileSpec => ({
            path: `${SCRIPTS}/ifcfg-${i.dev}`,
            template: 'network/ifcfg-installer.ejs',
            locals: { iface: i },
            edit: (t) => setHwaddr(t, i.mac!),
            // NOTE: the installer's file goes to /root/backups/ before the first change, as the network step's backup would.
            backup: 'root-backups',
          })),
        ],
  expect: (_p, n) => [
    `${UDEV_NET_RULES} names each NIC by its MAC as planned; each ifcfg-ethX's HWADDR matches`,
    `after a reboot where a name changed: ${n.ifaces.map((i) => `${i.dev}=${i.mac ?? '(captured)'}`).join(' ')}`,
  ],
  async run(ctx) {
    const n = ctx.node.plan;
    const diff = nicDifferences(n, mapOf(n), await readNics(ctx.node));
    if (!diff.length) return ctx.log(`${n.name}: NIC names already match their roles`);
    ctx.log(`${n.name}: renaming NICs (${diff.join('; ')})`);
    await rebootAndWait(ctx.node, ctx.log);
  },
  async verify(ctx) {
    const n = ctx.node.plan;
    const found = await readNics(ctx.node);
    const diff = nicDifferences(n, mapOf(n), found);
    if (diff.length) throw new VerifyFailed('nics.names', n.name, 'every NIC named as planned', diff.join('; '));
    return { summary: `names match roles: ${n.ifaces.map((i) => `${i.dev} ${roleName(i)}`).join(', ')}` };
  },
};
