/**
 * Small stand-ins for what rgmanager needs from the rest of the lab while the real cluster, storage
 * and virt subsystems land elsewhere: a `cluster` subsystem implementing ClusterView (+ fencePending,
 * configVersion), a `cman` init script that joins it, init scripts for the storage tree that record
 * their calls (virsh's domain subcommands are in fake-virsh.ts). All state is plain JSON in the world,
 * so save/restore tests work.
 */
import {
  createWorld,
  LAB_SUBSYSTEMS,
  World,
  withSubsystems,
  type LabSubsystem,
  type TimerHandler,
} from '../../../src/lab/world.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import type { ActionResult, ServiceDef } from '../../../src/lab/node/services.js';
import { statusLine } from '../../../src/lab/node/rc.js';
import { PACKAGES, installFiles } from '../../../src/lab/node/packages.js';
import { cluster } from '../../../src/lab/cluster/index.js';
import type { RgClusterView } from '../../../src/lab/cluster/rgmanager/model.js';
import { rgmanager } from '../../../src/lab/cluster/rgmanager/model.js';
import { loadAnswers } from '../../../src/plan/load.js';
import { derivePlan } from '../../../src/plan/derive.js';
import { renderClusterConf } from '../../../steps/cluster-conf.js';
import { worldOf } from '../../../src/lab/world/world.js';

// NOTE: the stand-ins below refine the lab's own definitions, as the whole lab defines them.
const REAL_SERVICES = new World(LAB_SUBSYSTEMS).services;

// ---------- cluster ----------

interface FakeClusterSaved {
  cman: string[];
  pending: string[];
  versions: Record<string, number>;
  /** false: a fenced node stays off. */
  rebootOnFence?: boolean;
}

/** Membership: every running node whose cman started; a node that goes down is fenced after 5 s. */
export class FakeCluster implements RgClusterView {
  s: FakeClusterSaved;
  constructor(
    private w: World,
    saved?: FakeClusterSaved,
  ) {
    this.s = saved ? (JSON.parse(JSON.stringify(saved)) as FakeClusterSaved) : { cman: [], pending: [], versions: {} };
  }
  toJSON(): FakeClusterSaved {
    return JSON.parse(JSON.stringify(this.s)) as FakeClusterSaved;
  }
  isMember(n: string): boolean {
    return this.s.cman.includes(n) && !!this.w.nodes[n]?.running;
  }
  quorate(n: string): boolean {
    return this.isMember(n);
  }
  clusterName(n: string): string | undefined {
    return this.isMember(n) ? 'an-cluster-A' : undefined;
  }
  members(n: string): string[] {
    return this.isMember(n) ? this.s.cman.filter((m) => this.w.nodes[m]?.running) : [];
  }
  async fenceNode(): Promise<boolean> {
    return true;
  }
  fencePending(_n: string, victim: string): boolean {
    return this.s.pending.includes(victim);
  }
  configVersion(n: string): number | undefined {
    return this.isMember(n) ? this.s.versions[n] : undefined;
  }
  join(node: LabNode): void {
    if (!this.s.cman.includes(node.name)) this.s.cman.push(node.name);
    try {
      this.s.versions[node.name] = Number(
        /config_version="(\d+)"/.exec(node.fs.readText('/etc/cluster/cluster.conf'))?.[1] ?? 0,
      );
    } catch {
      this.s.versions[node.name] = 0;
    }
  }
  leave(node: string): void {
    this.s.cman = this.s.cman.filter((x) => x !== node);
  }
  /** `cman_tool version -r`: the file is copied to every member and the running version changes. */
  push(from: LabNode): void {
    const text = from.fs.readText('/etc/cluster/cluster.conf');
    const v = Number(/config_version="(\d+)"/.exec(text)?.[1]);
    for (const m of this.s.cman) {
      this.w.nodes[m].fs.writeFile('/etc/cluster/cluster.conf', text);
      this.s.versions[m] = v;
    }
  }
  nodeBoot(node: LabNode): void {
    this.leave(node.name);
  }
  nodeDown(node: LabNode): void {
    if (!this.s.cman.includes(node.name)) return;
    this.leave(node.name);
    // NOTE: the survivor's fenced fences the lost node; this stand-in reboots it after 5 lab seconds.
    if (!this.s.pending.includes(node.name)) this.s.pending.push(node.name);
    this.w.schedule(5000, 'fakecluster.fence', { victim: node.name });
  }
}

const fakeFence: TimerHandler = (w, data) => {
  const victim = (data as { victim: string }).victim;
  const c = w.sub<FakeCluster>('cluster')!;
  c.s.pending = c.s.pending.filter((x) => x !== victim);
  const n = w.nodes[victim];
  n.log('fenced[1]', `fence ${n.fqdn} success`);
  w.fault({ kind: 'power', node: victim, on: false });
  if (c.s.rebootOnFence !== false) w.schedule(20_000, 'fakecluster.power-on', { node: victim });
};

const fakePowerOn: TimerHandler = (world, data) => {
  world.fault({ kind: 'power', node: (data as { node: string }).node, on: true });
};

const ok = (msg: string): ActionResult => ({ code: 0, out: statusLine(msg, true) });

const fakeCman: ServiceDef = {
  ...REAL_SERVICES.cman,
  start: (node) => {
    worldOf(node).sub<FakeCluster>('cluster')!.join(node);
    node.markRunning('cman');
    return ok('Starting cluster: ');
  },
  stop: (node) => {
    worldOf(node).sub<FakeCluster>('cluster')!.leave(node.name);
    node.markStopped('cman');
    return ok('Stopping cluster: ');
  },
};

/** The cluster subsystem with its state (world key `cluster`) and its cman script replaced by the stand-in. */
export const fakeCluster: LabSubsystem = {
  ...cluster,
  services: [...(cluster.services ?? []).filter((d) => d.name !== 'cman'), fakeCman],
  timers: { ...cluster.timers, 'fakecluster.fence': fakeFence, 'fakecluster.power-on': fakePowerOn },
  state: { key: 'cluster', create: (w, saved) => new FakeCluster(w, saved as FakeClusterSaved | undefined) },
};

// ---------- storage init scripts ----------

/** Calls to the storage init scripts, `node script action`, in order. */
export const calls: string[] = [];
/** `node/script` pairs whose start fails. */
export const failing = new Set<string>();

const storageScript = (name: string): ServiceDef => {
  const base = REAL_SERVICES[name];
  return {
    ...base,
    // NOTE: pure stand-ins (the generic daemon), whatever the real storage subsystem registered:
    // these tests are about rgmanager's ordering and recovery, not DRBD, clvmd or GFS2.
    start: (node, generic) => {
      calls.push(`${node.name} ${name} start`);
      if (failing.has(`${node.name}/${name}`)) return { code: 1, out: statusLine(base.startMsg ?? '', false) };
      return generic();
    },
    stop: (node, generic) => {
      calls.push(`${node.name} ${name} stop`);
      return generic();
    },
    status: (_node, generic) => generic(),
  };
};

/** The storage tree's init scripts as stand-ins that record their calls (a subsystem given after storage). */
export const fakeStorageScripts: LabSubsystem = {
  name: 'fake-storage-scripts',
  services: ['drbd', 'clvmd', 'gfs2', 'libvirtd'].map(storageScript),
};

/** The lab of the rgmanager tests: the stand-in cluster and storage scripts in the whole lab. */
export const RG_TEST_LAB = withSubsystems(fakeCluster, fakeStorageScripts);

// ---------- the pair ----------

const answers = loadAnswers('examples/tutorial.anvil.yaml', {});
const plan = derivePlan(answers);

/** cluster.conf as the tool writes it at a stage. */
export function conf(stage: 'storage' | 'vms'): string {
  return renderClusterConf(plan, stage);
}

export const VMS = ['vm0001-dev', 'vm0002-web', 'vm0003-db', 'vm0004-ms'];

/** The tutorial's pair with the cluster packages, cluster.conf at `stage`, cman running on both. */
export async function pair(
  stage: 'storage' | 'vms' = 'storage',
  subsystems: readonly LabSubsystem[] = RG_TEST_LAB,
): Promise<{ w: World; n1: LabNode; n2: LabNode }> {
  calls.length = 0;
  failing.clear();
  const w = createWorld({ answers, subsystems });
  const n1 = w.nodes['an-node01'];
  const n2 = w.nodes['an-node02'];
  for (const n of [n1, n2]) {
    for (const p of ['cman', 'rgmanager', 'gfs2-utils', 'lvm2-cluster', 'libvirt-client', 'libvirt', 'drbd83-utils'])
      installFiles(n, PACKAGES[p]);
    n.fs.mkdirp('/etc/cluster');
    n.fs.writeFile('/etc/cluster/cluster.conf', conf(stage));
    for (const s of ['drbd', 'clvmd', 'gfs2', 'libvirtd', 'rgmanager', 'cman']) await n.exec(`chkconfig ${s} off`);
    n.fs.mkdirp('/shared/definitions');
    for (const vm of VMS)
      n.fs.writeFile(`/shared/definitions/${vm}.xml`, `<domain type='kvm'>\n  <name>${vm}</name>\n</domain>\n`);
    const r = await n.exec('/etc/init.d/cman start');
    if (r.code) throw new Error(r.stdout + r.stderr);
  }
  return { w, n1, n2 };
}

/** Let lab time pass one second at a time, letting rgmanager's work and background jobs finish. */
export async function pass(w: World, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    w.advance(Math.min(1000, ms - t));
    await flush(w);
  }
}

/** Wait for rgmanager's operations and the nodes' background jobs. */
export async function flush(w: World): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await rgmanager(w)?.idle();
    await w.settle();
    await new Promise((r) => setImmediate(r));
  }
}

/** The node's syslog lines from `tag` (e.g. `rgmanager`), without the timestamp/host prefix and pid. */
export function syslog(n: LabNode, tag = 'rgmanager'): string[] {
  let text = '';
  try {
    text = n.fs.readText('/var/log/messages');
  } catch {
    return [];
  }
  const re = new RegExp(`^\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d ${n.name} ${tag}\\[\\d+\\]: (.*)$`);
  return text
    .split('\n')
    .map((l) => re.exec(l)?.[1])
    .filter((x): x is string => x !== undefined);
}

/** Run a command; stdout + stderr and the exit code. */
export async function run(n: LabNode, cmd: string): Promise<{ out: string; code: number }> {
  const r = await n.exec(cmd);
  return { out: r.stdout + r.stderr, code: r.code };
}
