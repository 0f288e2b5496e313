/**
 * Test worlds for the storage subsystem: a world from an answers file with the SN bond up on both
 * nodes, and a small fake `cluster` subsystem implementing ClusterView (the real one is built in
 * parallel; this fake lives in test/ only).
 */
import { loadAnswers } from '../../../src/plan/load.js';
import { createWorld, withSubsystems, type LabSubsystem, type World } from '../../../src/lab/world.js';
import { cluster as realCluster } from '../../../src/lab/cluster/index.js';
import type { ClusterView } from '../../../src/lab/cluster/view.js';
import type { Answers } from '../../../src/plan/schema.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { virtModel, parseDomainXml } from '../../../src/lab/virt/index.js';
import { prefixToMask } from '../../../src/lab/node/ifcfg.js';

/** The fake cluster: cman "runs" on the nodes listed in `up` (and powered); fencing powers the victim off. */
export interface FakeCluster extends ClusterView {
  up: Set<string>;
  name: string;
  fenced: string[];
  fenceOk: boolean;
}

/** The cluster subsystem with its state (world key `cluster`) replaced by the stand-in. */
export const fakeCluster: LabSubsystem = {
  ...realCluster,
  state: {
    key: 'cluster',
    create(world: World, saved: unknown): FakeCluster {
      const s = (saved ?? {}) as { up?: string[]; name?: string; fenced?: string[] };
      const c: FakeCluster = {
        up: new Set(s.up ?? []),
        name: s.name ?? 'an-cluster-A',
        fenced: s.fenced ?? [],
        fenceOk: true,
        isMember: (n) => c.up.has(n) && !!world.nodes[n]?.running,
        quorate: (n) => c.isMember(n),
        clusterName: (n) => (c.isMember(n) ? c.name : undefined),
        members: (n) => (c.isMember(n) ? [...c.up].filter((x) => world.nodes[x]?.running) : []),
        async fenceNode(_from, victim) {
          if (!c.fenceOk) return false;
          c.fenced.push(victim);
          world.nodes[victim]?.powerOff();
          c.up.delete(victim);
          return true;
        },
        toJSON: () => ({ up: [...c.up], name: c.name, fenced: c.fenced }),
        nodeDown: (node) => {
          c.up.delete(node.name);
        },
      };
      return c;
    },
  },
};

/** The lab the storage tests run: the whole lab, the cluster's state a stand-in. */
export const STORAGE_TEST_LAB = withSubsystems(fakeCluster);

/** The fake cluster of a world. */
export function cluster(w: World): FakeCluster {
  return w.sub<FakeCluster>('cluster')!;
}

const ENV = { RICCI_PW: 'R1cci-S3cret!', ILO_PW: 'Il0-Pa55w0rd', PDU_COMMUNITY: 'private', APC_PW: 'apc' };

/** Answers of an example/fixture file. */
export function answers(file: string): Answers {
  return loadAnswers(file, { ...process.env, ...ENV });
}

/** Run a command and return code/stdout/stderr. */
export async function run(n: LabNode, cmd: string, stdin?: string) {
  const r = await n.exec(cmd, stdin === undefined ? {} : { stdin });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

/** A world for `a` whose nodes have the SN bond (bond1 over eth1/eth4) up, and the cluster "running". */
export async function storageWorld(a: Answers, opts: { clusterUp?: boolean } = {}): Promise<World> {
  const w = createWorld({ answers: a, seed: 3, subsystems: STORAGE_TEST_LAB });
  const prefix = Number(a.networks.sn.cidr.split('/')[1]);
  for (const na of a.nodes) {
    const n = w.nodes[na.name];
    const r0 = await run(n, 'yum -y remove NetworkManager >/dev/null && chkconfig network on');
    if (r0.code) throw new Error(r0.err);
    const dir = '/etc/sysconfig/network-scripts';
    n.fs.writeFile(
      `${dir}/ifcfg-bond1`,
      `DEVICE="bond1"\nBOOTPROTO="static"\nNM_CONTROLLED="no"\nONBOOT="yes"\nBONDING_OPTS="mode=1 miimon=100 use_carrier=1 updelay=120000 downdelay=0 primary=eth1"\nIPADDR="${na.sn}"\nNETMASK="${prefixToMask(prefix)}"\n`,
    );
    for (const eth of ['eth1', 'eth4']) {
      const mac = n.nics.find((x) => x.name === eth)!.mac;
      n.fs.writeFile(
        `${dir}/ifcfg-${eth}`,
        `HWADDR="${mac}"\nDEVICE="${eth}"\nNM_CONTROLLED="no"\nONBOOT="yes"\nBOOTPROTO="none"\nMASTER="bond1"\nSLAVE="yes"\n`,
      );
    }
    const r = await run(n, '/etc/init.d/network restart');
    if (r.code) throw new Error(`network restart on ${na.name}: ${r.out}${r.err}`);
  }
  w.advance(1000);
  const c = cluster(w);
  c.name = a.cluster.name;
  if (opts.clusterUp !== false) for (const na of a.nodes) c.up.add(na.name);
  return w;
}

/** Step 12's installs on a node (ELRepo, DRBD 8.3, the fence handler) plus lvm2-cluster and gfs2-utils. */
export async function installStorage(n: LabNode): Promise<void> {
  for (const c of [
    'yum install -y wget lvm2-cluster gfs2-utils',
    'rpm --import http://elrepo.org/RPM-GPG-KEY-elrepo.org',
    'rpm -Uvh http://elrepo.org/elrepo-release-6-4.el6.elrepo.noarch.rpm',
    'yum install -y drbd83-utils kmod-drbd83',
    'wget -c https://alteeve.ca/files/an-cluster/sbin/obliterate-peer.sh -O /sbin/obliterate-peer.sh',
    'chmod a+x /sbin/obliterate-peer.sh',
  ]) {
    const r = await run(n, c);
    if (r.code) throw new Error(`${n.name}: ${c}: ${r.out}${r.err}`);
  }
}

/**
 * A pair at the end of step 14 (partitions, DRBD files, metadata, first connect and new current
 * UUID, drbd stopped), with lvm.conf edited as step 15 does.
 */
export async function initialised(file: string, opts: { freeStart?: string } = {}) {
  const { derivePlan } = await import('../../../src/plan/derive.js');
  const { drbdFiles } = await import('../../../steps/drbd-config.js');
  const { partitionCommands, REREAD_WARNING } = await import('../../../steps/drbd-partitions.js');
  const { syncKernel } = await import('../../../src/lab/storage/parted.js');
  const { editLvmConf } = await import('../../../steps/clvm.js');
  const { renderFile } = await import('../../../src/engine/render.js');
  const a = answers(file);
  const w = await storageWorld(a);
  const p = derivePlan(a, opts.freeStart ? { freeStart: opts.freeStart } : {});
  const nodes = a.nodes.map((x) => w.nodes[x.name]);
  const ok = async (n: LabNode, c: string) => {
    const r = await run(n, c, '');
    if (r.code) throw new Error(`${n.name}: ${c}: ${r.out}${r.err}`);
    return r.out;
  };
  const names = p.resources.map((r) => r.name).join(' ');
  for (const [i, n] of nodes.entries()) {
    await installStorage(n);
    // parted 2.1 on the busy system disk: each mkpart exits 1 with the re-read warning (2200–2202)
    for (const c of partitionCommands(p, p.resources[0].start)) {
      const r = await run(n, c);
      if (r.code && !REREAD_WARNING.test(r.out + r.err)) throw new Error(`${n.name}: ${c}: ${r.out}${r.err}`);
    }
    // ...and the reboot the tutorial does next (2271) makes the kernel read the new table
    for (const disk of Object.keys(n.disks)) syncKernel(n, disk);
    for (const f of drbdFiles(p)) n.fs.writeFile(f.path, renderFile(f, p, p.nodes[i]), 0o644);
    n.fs.writeFile('/etc/lvm/lvm.conf', editLvmConf(n.fs.readText('/etc/lvm/lvm.conf')));
    await ok(n, `drbdadm create-md ${names}`);
    await ok(n, 'modprobe drbd');
    await ok(n, `drbdadm attach ${names}`);
  }
  for (const n of nodes) await ok(n, `drbdadm connect ${names}`);
  await ok(nodes[0], `drbdadm -- --clear-bitmap new-current-uuid ${names}`);
  for (const n of nodes) await ok(n, '/etc/init.d/drbd stop');
  return { a, w, p, n1: nodes[0], n2: nodes[1], ok, names };
}

/** Both nodes with DRBD dual-primary, clvmd, the three clustered VGs, the GFS2 LV and a guest LV. */
export async function storageUp() {
  const x = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
  const { n1, n2, ok } = x;
  await Promise.all([ok(n1, '/etc/init.d/drbd start'), ok(n2, '/etc/init.d/drbd start')]);
  for (const n of [n1, n2]) await ok(n, '/etc/init.d/clvmd start');
  await ok(n1, 'pvcreate /dev/drbd0 /dev/drbd1 /dev/drbd2');
  await ok(n1, 'vgcreate -c y shared-vg0 /dev/drbd0');
  await ok(n1, 'vgcreate -c y an01-vg0 /dev/drbd1');
  await ok(n1, 'vgcreate -c y an02-vg0 /dev/drbd2');
  await ok(n1, 'lvcreate -L 10G -n shared shared-vg0');
  await ok(n1, 'lvcreate -L 50G -n vm0001-1 an01-vg0');
  await ok(n1, 'lvcreate -L 50G -n vm0002-1 an01-vg0');
  const r = await run(n1, 'mkfs.gfs2 -p lock_dlm -j 2 -t an-cluster-A:shared /dev/shared-vg0/shared', 'y\n');
  if (r.code) throw new Error(r.out + r.err);
  return x;
}

/** Start a guest on node `node` whose one disk is `dev` (what rgmanager's vm.sh ends in: qemu-kvm on the LV). */
export function startGuest(w: World, node: string, name: string, dev: string): void {
  const xml = `<domain type='kvm'><name>${name}</name><uuid>1b2c3d4e-0000-4000-8000-${name.replace(/\D/g, '').padStart(12, '0')}</uuid><memory unit='KiB'>1048576</memory><currentMemory unit='KiB'>1048576</currentMemory><vcpu>1</vcpu><os><type arch='x86_64' machine='rhel6.4.0'>hvm</type><boot dev='hd'/></os><devices><emulator>/usr/libexec/qemu-kvm</emulator><disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='${dev}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
  virtModel(w)!.createDomain(node, parseDomainXml(xml, name));
}
