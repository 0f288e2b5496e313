/**
 * The storage subsystem's world state (key `storage`): what lives on each node's disks (DRBD metadata,
 * LVM labels and metadata, GFS2 superblocks), each node's DRBD runtime (module, minors, connections),
 * active LVs, GFS2 mounts, the shared GFS2 file trees, and the log of destructive commands. Plain JSON,
 * saved and restored with the world.
 */
import type { Subsystem } from '../world/world.js';
import { worldOf, type World } from '../world/world.js';
import type { LabNode } from '../node/node.js';
import { MemFs } from '../fs/memfs.js';
import { JsonCopy } from '../store/json-copy.js';
import type { StorageView } from './view.js';

/** LVM's default extent size (4 MiB) in KiB. */
export const EXTENT_KIB = 4096;

/** One destructive storage command that ran (tests prove the installer never repeats one). */
export interface DestructiveEntry {
  /** Lab time (ms since the epoch). */
  at: number;
  /** Program and verb, e.g. `parted mkpart`, `drbdadm create-md`. */
  op: string;
  /** What it destroyed or wrote, e.g. `/dev/sda5` or `r0`. */
  target: string;
}

/** An LV in a VG's metadata. */
export interface LvMeta {
  name: string;
  extents: number;
  /** File system written on it (mkfs.gfs2). */
  fs?: Gfs2Sb;
}

/** A VG's metadata (kept on its PV). */
export interface VgMeta {
  name: string;
  uuid: string;
  clustered: boolean;
  /** PV device names as they were seen when it was written (`/dev/drbd0`). */
  pvs: string[];
  /** Extents of the PV(s). */
  extents: number;
  lvs: LvMeta[];
  seqno: number;
}

/** A GFS2 superblock. */
export interface Gfs2Sb {
  type: 'gfs2';
  uuid: string;
  lockTable: string;
  journals: number;
  blocks: number;
}

/** What the data area of a block device holds. */
export interface DevData {
  /** LVM PV label. */
  pv?: { uuid: string };
  /** VG metadata on this PV. */
  vg?: VgMeta;
  /** A file system directly on the device (e.g. `ext4` from the installer). */
  fs?: string;
}

/** DRBD 8.3 internal metadata at the end of a backing device. */
export interface DrbdMd {
  /** Current generation UUID ('' = never set: brand new). */
  uuid: string;
  /** Older generation UUIDs, newest first (bitmap/history UUIDs). */
  history: string[];
  /** Disk state remembered across restarts. */
  disk: 'Inconsistent' | 'UpToDate' | 'Outdated';
  /** The peer was unreachable when last seen (selects degr-wfc-timeout at start). */
  degraded: boolean;
  /** Usable size of the DRBD device in KiB. */
  sizeKiB: number;
  /** KiB written while the peer was away (the bitmap's set bits): what the next resync sends. */
  dirty?: number;
  /** Lab time up to which running guests' writes were counted into `dirty` (Primary without its peer). */
  dirtySince?: number;
}

/** One backing block device's persistent content. */
export interface BlockContent {
  md?: DrbdMd;
  data: DevData;
}

/** One configured DRBD minor on a node (runtime; gone at reboot). */
export interface MinorRt {
  res: string;
  minor: number;
  /** Backing device (`/dev/sda5`). */
  disk: string;
  cs: 'StandAlone' | 'WFConnection' | 'Connected' | 'SyncSource' | 'SyncTarget';
  role: 'Primary' | 'Secondary';
  peerRole: 'Primary' | 'Secondary' | 'Unknown';
  ds: 'Inconsistent' | 'UpToDate' | 'Outdated' | 'Diskless';
  pds: 'Inconsistent' | 'UpToDate' | 'Outdated' | 'DUnknown' | 'Diskless';
  /** I/O suspended (fencing resource-and-stonith while the peer is unknown). */
  susp: boolean;
  /** Net configuration (absent = never connected: StandAlone after attach). */
  net?: MinorNet;
  stats: { ns: number; nr: number; dw: number; dr: number; bm: number };
  /** Out of sync, KiB. */
  oos: number;
  /** Resync in progress. */
  sync?: { totalKiB: number; startedAt: number; rateKiB: number };
  /** The connection to the peer went through at least once (AL no longer suspended). */
  everConnected: boolean;
}

/** The net part of a minor's configuration, compared with the peer's at the handshake. */
export interface MinorNet {
  self: string;
  peer: string;
  peerHost: string;
  /** Options that must agree with the peer's (protocol, allow-two-primaries, after-sb-*). */
  key: string;
  allowTwoPrimaries: boolean;
  fencing: string;
  fencePeer?: string;
  afterSb0: string;
  afterSb1: string;
  afterSb2: string;
}

/** A mounted GFS2 file system on a node. */
export interface MountRt {
  dev: string;
  mountpoint: string;
  uuid: string;
  jid: number;
  opts: string;
}

/** One node's storage state. */
export interface NodeStorage {
  /** Persistent: backing block device content by device path. */
  blocks: Record<string, BlockContent>;
  /** Runtime: drbd module loaded. */
  drbdLoaded: boolean;
  /** Runtime: configured minors by number. */
  minors: Record<string, MinorRt>;
  /** Runtime: active LVs (`vg/lv`). */
  active: string[];
  /** Runtime: GFS2 mounts. */
  mounts: MountRt[];
}

/** Saved form. */
export interface StorageSaved {
  opts: StorageOpts;
  nodes: Record<string, NodeStorage>;
  trees: Record<string, unknown>;
  log: Record<string, DestructiveEntry[]>;
}

/** Knobs of the lab's storage behaviour. */
export interface StorageOpts {
  /**
   * How `parted` tells the kernel about new partitions on the busy system disk: `blkpg` (EL6.4's
   * parted 2.1-19: they appear at once) or `busy` (the tutorial's capture 2200–2202: warning, the
   * kernel keeps the old table until reboot).
   */
  kernelReread: 'blkpg' | 'busy';
}

function emptyNode(): NodeStorage {
  return { blocks: {}, drbdLoaded: false, minors: {}, active: [], mounts: [] };
}

/** `vg/lv` of an LV device path: `/dev/an01-vg0/vm0001-1` or `/dev/mapper/an01--vg0-vm0001--1`. */
export function lvOfPath(path: string): string | undefined {
  const direct = /^\/dev\/([^/]+)\/([^/]+)$/.exec(path);
  if (direct && direct[1] !== 'mapper' && direct[1] !== 'disk') return `${direct[1]}/${direct[2]}`;
  const mapper = /^\/dev\/mapper\/(.+)$/.exec(path)?.[1];
  if (!mapper) return undefined;
  const m = /^((?:[^-]|--)+)-((?:[^-]|--)+)$/.exec(mapper);
  return m ? `${m[1].replace(/--/g, '-')}/${m[2].replace(/--/g, '-')}` : undefined;
}

/** The storage subsystem's live state. */
/**
 * What the upper storage layers tell DRBD, given when the storage subsystem is put together
 * (storage/index.ts): DRBD sits below LVM and GFS2 and does not import them.
 */
export interface StorageLayers {
  /** Running guests whose disks sit on `device` (their writes dirty the bitmap while the peer is gone). */
  guestWriters(node: LabNode, device: string): number;
  /** Whether an upper layer (an active LV on it) holds `device` open. */
  heldOpen(node: LabNode, device: string): boolean;
  /** A victim was fenced: what the survivor's upper layers do then (GFS2 journal recovery). */
  fenced(world: World, survivor: LabNode, victim: LabNode): void;
  /** Size in KiB of a node's `index`th active LV (/proc/partitions). */
  activeSizeKiB(node: LabNode, index: number): number;
  /** What each layer does when a node goes down, in order (before its runtime state is reset). */
  down: readonly ((s: Storage, node: LabNode) => void)[];
  /** What each layer does once a node's runtime state is reset (at boot, and after it went down). */
  reset: readonly ((s: Storage, node: LabNode) => void)[];
}

/** Layers that hold nothing and do nothing (DRBD alone). */
export const NO_LAYERS: StorageLayers = {
  guestWriters: () => 0,
  heldOpen: () => false,
  fenced: () => {},
  activeSizeKiB: () => 0,
  down: [],
  reset: [],
};

export class Storage implements Subsystem, StorageView {
  // NOTE: 'busy' by default: the system disk of a node is always in use (/, /boot and swap on it), and
  // the tutorial's capture shows parted 2.1 failing to re-read it (2200–2202). Whether EL6.4's parted
  // 2.1-19 updates the kernel through BLKPG instead is not settled without a real node, so the lab
  // plays the form that is harder on the tool; 'blkpg' is only a test's explicit choice.
  opts: StorageOpts = { kernelReread: 'busy' };
  nodes: Record<string, NodeStorage> = {};
  /** GFS2 file trees by file-system UUID (one tree seen by every node that mounts it). */
  trees = new Map<string, MemFs>();
  log: Record<string, DestructiveEntry[]> = {};

  constructor(
    readonly world: World,
    saved?: StorageSaved,
    readonly layers: StorageLayers = NO_LAYERS,
  ) {
    if (saved) {
      this.opts = { ...this.opts, ...saved.opts };
      this.nodes = JSON.parse(JSON.stringify(saved.nodes)) as Record<string, NodeStorage>;
      for (const [k, v] of Object.entries(saved.trees ?? {})) this.trees.set(k, new MemFs(() => world.now(), v));
      this.log = JSON.parse(JSON.stringify(saved.log ?? {})) as Record<string, DestructiveEntry[]>;
    }
    for (const name of Object.keys(world.nodes)) this.nodes[name] ??= emptyNode();
    // NOTE: mounts are runtime state of the node's fs; re-attach the shared trees after a restore.
    for (const [name, ns] of Object.entries(this.nodes)) {
      const node = world.nodes[name];
      if (!node) continue;
      for (const m of ns.mounts) {
        const t = this.trees.get(m.uuid);
        if (t) node.fs.mounts.set(m.mountpoint, t);
      }
    }
  }

  /** A node's storage state. */
  of(node: LabNode | string): NodeStorage {
    const name = typeof node === 'string' ? node : node.name;
    return (this.nodes[name] ??= emptyNode());
  }

  /** Content of a backing device on a node (created empty on first use). */
  block(node: LabNode | string, dev: string): BlockContent {
    const ns = this.of(node);
    return (ns.blocks[dev] ??= { data: {} });
  }

  /** The GFS2 tree of a file system (created on first use). */
  tree(uuid: string): MemFs {
    let t = this.trees.get(uuid);
    if (!t) {
      t = new MemFs(() => this.world.now());
      t.chmod('/', 0o755);
      this.trees.set(uuid, t);
    }
    return t;
  }

  /** StorageView: an LV path is usable on the node when the LV is active there. */
  blockDeviceReady(node: string, path: string): boolean {
    const lv = lvOfPath(path);
    return !!lv && this.of(node).active.includes(lv);
  }

  /** StorageView: the size of an LV (from its VG's metadata on any device the node holds). */
  blockDeviceBytes(node: string, path: string): number | undefined {
    const lv = lvOfPath(path);
    if (!lv) return undefined;
    const [vg, name] = lv.split('/');
    for (const ns of [this.of(node), ...Object.values(this.nodes)])
      for (const b of Object.values(ns.blocks)) {
        const meta = b.data.vg;
        const l = meta?.name === vg ? meta.lvs.find((x) => x.name === name) : undefined;
        if (l) return l.extents * EXTENT_KIB * 1024;
      }
    return undefined;
  }

  /** Record a destructive command on a node. */
  record(node: LabNode | string, op: string, target: string): void {
    const name = typeof node === 'string' ? node : node.name;
    (this.log[name] ??= []).push({ at: this.world.now(), op, target });
  }

  /** Runtime state is lost at power-on (the module is unloaded, nothing is mounted or active). */
  nodeBoot(node: LabNode): void {
    this.resetRuntime(node);
  }

  /** A node lost power or hung: its runtime state is gone (peers notice through DRBD hooks). */
  nodeDown(node: LabNode): void {
    for (const fn of this.layers.down) fn(this, node);
    this.resetRuntime(node);
  }

  private resetRuntime(node: LabNode): void {
    const ns = this.of(node);
    for (const m of ns.mounts) node.fs.mounts.delete(m.mountpoint);
    ns.drbdLoaded = false;
    ns.minors = {};
    ns.active = [];
    ns.mounts = [];
    for (const fn of this.layers.reset) fn(this, node);
  }

  private readonly saved = new JsonCopy<Omit<StorageSaved, 'trees'>>();

  toJSON(): StorageSaved {
    // NOTE: the GFS2 trees are MemFs, which keep their own saved forms (see MemFs.toJSON).
    return {
      ...this.saved.of({ opts: this.opts, nodes: this.nodes, log: this.log }),
      trees: Object.fromEntries([...this.trees].map(([k, v]) => [k, v.toJSON()])),
    };
  }
}

/** The world's storage subsystem. */
export function storageOf(world: { sub<T extends Subsystem>(key: string): T | undefined }): Storage {
  const s = world.sub<Storage>('storage');
  if (!s) throw new Error('the lab world has no storage subsystem');
  return s;
}

/** The storage state seen from a node. */
export function st(node: LabNode): Storage {
  return storageOf(worldOf(node));
}

/** Every destructive storage command that ran on `node`, in order (copy). */
export function destructiveLog(world: World, node: string): DestructiveEntry[] {
  return (storageOf(world).log[node] ?? []).map((e) => ({ ...e }));
}

/** A made-up but stable-looking hex UUID part from the world's clock and a counter. */
let counter = 0;
export function hexId(world: World, len: number): string {
  counter++;
  let x = (world.now() ^ (counter * 2654435761)) >>> 0;
  let s = '';
  while (s.length < len) {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + counter) >>> 0;
    s += x.toString(16).padStart(8, '0');
  }
  return s.slice(0, len);
}
