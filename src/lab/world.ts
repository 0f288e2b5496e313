/**
 * The lab's world as the lab builds it: the world machinery (world/) given the tutorial's subsystems,
 * seeded with a fresh node pair from the answers or restored from a saved snapshot. The composition
 * root of the simulator: the one module that names every subsystem.
 */
import type { Answers } from '../plan/schema.js';
import { World, type Bmc, type LabSubsystem, type WorldSaved } from './world/world.js';
import type { NicHw } from './node/network.js';
import { prefixToMask } from './node/ifcfg.js';
import { seedNode } from './seed/centos64.js';
import { base } from './commands/index.js';
import { power } from './power/index.js';
import { secretHash } from './power/power.js';
import { cluster, rgmanager } from './cluster/index.js';
import { FENCE_AGENTS } from './cluster/agents.js';
import { storage } from './storage/index.js';
import { virt } from './virt/index.js';

export * from './world/world.js';

/**
 * Every subsystem of the tutorial's lab, in the order a world is built from them: the base system
 * first (a later subsystem's program, service or package of the same name replaces it), then power,
 * the cluster, rgmanager, storage and virt.
 */
export const LAB_SUBSYSTEMS: readonly LabSubsystem[] = [base, power, cluster, rgmanager, storage, virt];

/**
 * `LAB_SUBSYSTEMS` with some replaced by name (a test's stand-in `cluster`, say) and the others kept;
 * one whose name is new is added at the end.
 */
export function withSubsystems(...replace: LabSubsystem[]): LabSubsystem[] {
  const out = LAB_SUBSYSTEMS.map((s) => replace.find((r) => r.name === s.name) ?? s);
  for (const r of replace) if (!LAB_SUBSYSTEMS.some((s) => s.name === r.name)) out.push(r);
  return out;
}

/** The lab without the subsystems named. */
export function withoutSubsystems(...names: string[]): LabSubsystem[] {
  return LAB_SUBSYSTEMS.filter((s) => !names.includes(s.name));
}

const NET_DEVS: [string, 'bcn' | 'sn' | 'ifn', 0 | 1][] = [
  ['eth0', 'bcn', 0],
  ['eth1', 'sn', 0],
  ['eth2', 'ifn', 0],
  ['eth3', 'bcn', 1],
  ['eth4', 'sn', 1],
  ['eth5', 'ifn', 1],
];

/** Deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A made-up MAC with a real vendor prefix (Intel 00:1B:21 for add-in cards, 00:E0:81 on board). */
function genMac(r: () => number, link: 0 | 1): string {
  const oui = link === 0 ? '00:E0:81' : '00:1B:21';
  const tail = [0, 0, 0].map(() =>
    Math.floor(r() * 256)
      .toString(16)
      .padStart(2, '0')
      .toUpperCase(),
  );
  return `${oui}:${tail.join(':')}`;
}

/** Node definitions when no answers are given: the tutorial's pair. */
const DEFAULT_NODES = [
  {
    name: 'an-node01',
    bcn: '10.20.0.1',
    ipmi: '10.20.1.1',
    nics: {
      bcn: ['00:E0:81:C7:EC:49', '00:1B:21:9D:59:FC'],
      sn: ['00:E0:81:C7:EC:48', '00:1B:21:BF:70:02'],
      ifn: ['00:E0:81:C7:EC:47', '00:1B:21:BF:6F:FE'],
    },
  },
  { name: 'an-node02', bcn: '10.20.0.2', ipmi: '10.20.1.2', nics: undefined },
];

/**
 * The login and password (hashed) a node's BMC accepts: those of the BMC-type fence device its methods
 * use in the answers; the tutorial's root/secret without answers.
 */
function bmcCredentials(a: Answers | undefined, node: string): Pick<Bmc, 'login' | 'passHash'> {
  if (!a) return { login: 'root', passHash: secretHash('secret') };
  for (const m of a.fencing.methods[node] ?? [])
    for (const ref of m.devices) {
      const dev = a.fencing.devices.find((x) => x.name === ref.device) as Record<string, unknown> | undefined;
      if (!dev || FENCE_AGENTS[String(dev.agent)]?.kind !== 'bmc') continue;
      return {
        ...(typeof dev.login === 'string' ? { login: dev.login } : {}),
        ...(typeof dev.passwd === 'string' || typeof dev.passwd === 'number'
          ? { passHash: secretHash(String(dev.passwd)) }
          : {}),
      };
    }
  return {};
}

/** How a world is made. */
export interface CreateWorldOptions {
  /** What the world is built from, in order (default: `LAB_SUBSYSTEMS`, the whole tutorial lab). */
  subsystems?: readonly LabSubsystem[];
  /** The answers to seed the nodes, BMCs and PDUs from (default: the tutorial's node pair). */
  answers?: Answers;
  /** A `toJSON()` snapshot to restore instead of seeding. */
  saved?: unknown;
  /** Seed of the generated MACs. */
  seed?: number;
}

/**
 * Build a world from its subsystems: restore `saved` (a `toJSON()` snapshot), or seed a fresh pair of
 * minimal CentOS 6.4 nodes from the answers (names, domain, BCN addresses, MACs; MACs generated from
 * `seed` when absent).
 */
export function createWorld(opts: CreateWorldOptions = {}): World {
  const w = new World(opts.subsystems ?? LAB_SUBSYSTEMS);
  if (opts.saved !== undefined) {
    w.restore(opts.saved as WorldSaved);
    return w;
  }
  const a = opts.answers;
  const r = rng(opts.seed ?? 1);
  const domain = a?.cluster.domain ?? 'alteeve.ca';
  const prefix = Number((a?.networks.bcn.cidr ?? '10.20.0.0/16').split('/')[1]);
  const defs = a
    ? a.nodes.map((n) => ({
        name: n.name,
        bcn: n.bcn,
        ipmi: n.ipmi,
        nics: n.nics,
      }))
    : DEFAULT_NODES.map((n) => ({ ...n, nics: n.nics as Record<string, string[]> | undefined }));
  defs.forEach((d, idx) => {
    const nics: NicHw[] = NET_DEVS.map(([dev, net, link], k) => ({
      name: dev,
      mac: (d.nics?.[net]?.[link] ?? genMac(r, link)).toUpperCase(),
      switch: link === 0 ? 'sw1' : 'sw2',
      port: idx * 3 + (k % 3) + 1,
      cable: true,
    }));
    const node = w.addNode({ name: d.name, fqdn: `${d.name}.${domain}`, bcn: d.bcn, nics });
    seedNode(node, { bcnNetmask: prefixToMask(prefix), ...(a ? { disk: a.storage.disk } : {}) });
    w.bmcs.push({ node: d.name, ip: d.ipmi, up: true, ...bmcCredentials(a, d.name) });
  });
  if (a) {
    for (const dev of a.fencing.devices) {
      if (FENCE_AGENTS[dev.agent]?.kind !== 'pdu' && !/pdu/i.test(dev.name)) continue;
      const outlets: Record<string, string> = {};
      for (const [node, methods] of Object.entries(a.fencing.methods))
        for (const m of methods)
          for (const d of m.devices) if (d.device === dev.name && d.port !== undefined) outlets[String(d.port)] = node;
      const host = String(((dev as Record<string, unknown>).ipaddr as string | undefined) ?? dev.name);
      const ip = a.extraHosts.find((h) => h.names.includes(host))?.ip ?? host;
      const login = (dev as Record<string, unknown>).login;
      const passwd = (dev as Record<string, unknown>).passwd;
      w.pdus.push({
        name: dev.name,
        ip,
        up: true,
        outlets,
        ...(typeof login === 'string' ? { login } : {}),
        ...(typeof passwd === 'string' ? { passHash: secretHash(passwd) } : {}),
      });
    }
  }
  w.initSubsystems();
  return w;
}
