/**
 * virsh's domain subcommands over a tiny `fakevirt` world subsystem that records every start and
 * every double start (a guest started while it runs on the other node), for the rgmanager tests
 * while the real virt subsystem lands elsewhere.
 */
import { withSubsystems, type LabSubsystem, type Subsystem, type World } from '../../../src/lab/world.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { VIRSH, virshWith, type VirshSub } from '../../../src/lab/commands/virsh.js';
import { VIRSH_DOMAIN } from '../../../src/lab/virt/virsh-domain.js';
import { worldOf } from '../../../src/lab/world/world.js';
import { fakeCluster, fakeStorageScripts, pair as fakesPair } from './fakes.js';

interface FakeVirtSaved {
  /** node → domain → running. */
  doms: Record<string, Record<string, boolean>>;
  /** Domain starts while it already ran on another node. */
  doubles: string[];
  /** How many times each domain was started (any node). */
  starts: Record<string, number>;
}

/** The guests of the pair. */
export class FakeVirt implements Subsystem {
  s: FakeVirtSaved;
  constructor(
    private w: World,
    saved?: FakeVirtSaved,
  ) {
    this.s = saved ? (JSON.parse(JSON.stringify(saved)) as FakeVirtSaved) : { doms: {}, doubles: [], starts: {} };
  }
  toJSON(): FakeVirtSaved {
    return JSON.parse(JSON.stringify(this.s)) as FakeVirtSaved;
  }
  on(node: string): Record<string, boolean> {
    return (this.s.doms[node] ??= {});
  }
  runningOn(name: string): string[] {
    return Object.keys(this.s.doms).filter((n) => this.s.doms[n][name]);
  }
  start(node: string, name: string): void {
    if (this.runningOn(name).some((n) => n !== node)) this.s.doubles.push(`${name}@${node}`);
    this.on(node)[name] = true;
    this.s.starts[name] = (this.s.starts[name] ?? 0) + 1;
  }
  nodeBoot(node: LabNode): void {
    for (const k of Object.keys(this.on(node.name))) this.on(node.name)[k] = false;
  }
  nodeDown(node: LabNode): void {
    this.nodeBoot(node);
  }
}

const fv = (w: World) => w.sub<FakeVirt>('fakevirt')!;

const FAKE_DOMAIN_SUBS = {
  domstate: (ctx, [name]) => {
    const d = fv(worldOf(ctx.node)).on(ctx.node.name);
    if (!name || !(name in d)) {
      ctx.err(
        `error: failed to get domain '${name}'\nerror: Domain not found: no domain with matching name '${name}'\n\n`,
      );
      return 1;
    }
    ctx.out(`${d[name] ? 'running' : 'shut off'}\n\n`);
    return 0;
  },
  dominfo: (ctx, [name]) => (name && name in fv(worldOf(ctx.node)).on(ctx.node.name) ? 0 : 1),
  define: (ctx, [file]) => {
    const name = /<name>([^<]+)<\/name>/.exec(ctx.node.fs.readText(file))?.[1];
    if (!name) return 1;
    const d = fv(worldOf(ctx.node)).on(ctx.node.name);
    d[name] ??= false;
    ctx.out(`Domain ${name} defined from ${file}\n\n`);
    return 0;
  },
  create: (ctx, [file]) => {
    const name = /<name>([^<]+)<\/name>/.exec(ctx.node.fs.readText(file))?.[1];
    const v = fv(worldOf(ctx.node));
    if (!name || v.on(ctx.node.name)[name]) return 1;
    v.start(ctx.node.name, name);
    ctx.out(`Domain ${name} created from ${file}\n\n`);
    return 0;
  },
  start: (ctx, [name]) => {
    const v = fv(worldOf(ctx.node));
    if (!name || !(name in v.on(ctx.node.name)) || v.on(ctx.node.name)[name]) return 1;
    v.start(ctx.node.name, name);
    ctx.out(`Domain ${name} started\n\n`);
    return 0;
  },
  shutdown: (ctx, [name]) => {
    const d = fv(worldOf(ctx.node)).on(ctx.node.name);
    if (!name || !d[name]) return 1;
    d[name] = false;
    return 0;
  },
  destroy: (ctx, [name]) => {
    const d = fv(worldOf(ctx.node)).on(ctx.node.name);
    if (!name || !d[name]) return 1;
    d[name] = false;
    ctx.out(`Domain ${name} destroyed\n\n`);
    return 0;
  },
  migrate: (ctx, args) => {
    const pos = args.filter((a) => !a.startsWith('--'));
    const [name, uri] = pos;
    const w = worldOf(ctx.node);
    const host = /qemu\+ssh:\/\/([^/]+)\/system/.exec(uri ?? '')?.[1];
    const to = Object.values(w.nodes).find((n) => n.fqdn === host || n.name === host);
    const v = fv(w);
    if (!name || !to || !v.on(ctx.node.name)[name]) return 1;
    if (!to.running || !to.isRunning('libvirtd')) {
      ctx.err(
        'error: Cannot recv data: nc: unix connect failed: No such file or directory: Connection reset by peer\n\n',
      );
      return 1;
    }
    v.on(ctx.node.name)[name] = false;
    v.on(to.name)[name] = true;
    return 0;
  },
} satisfies Record<string, VirshSub>;

/** virsh whose domain subcommands above run on `fakevirt` (the others as the lab has them). */
export const fakeVirsh: LabSubsystem = {
  name: 'fakevirt',
  programs: { virsh: virshWith({ ...VIRSH, ...VIRSH_DOMAIN, ...FAKE_DOMAIN_SUBS }) },
  state: { key: 'fakevirt', create: (w, saved) => new FakeVirt(w, saved as FakeVirtSaved | undefined) },
};

/** The lab of the rgmanager tests with guests on `fakevirt`. */
export const RG_VIRSH_TEST_LAB = withSubsystems(fakeCluster, fakeStorageScripts, fakeVirsh);

/** The pair of fakes.ts in the lab with guests on `fakevirt`. */
export function pair(stage: 'storage' | 'vms' = 'storage'): ReturnType<typeof fakesPair> {
  return fakesPair(stage, RG_VIRSH_TEST_LAB);
}
