/**
 * DRBD 8.3.12 (ELRepo kmod-drbd83 / drbd83-utils): the module, the minors of each node, the
 * connection between peers over the Storage Network, resync in lab time, dual primary, fencing with
 * `fencing resource-and-stonith` through the cluster, split brain, and `/proc/drbd`. The programs
 * (drbdadm, modprobe drbd, the init script) are in drbd-commands.ts.
 */
import type { LabNode } from '../node/node.js';
import { worldOf, type World, type TimerHandler } from '../world/world.js';
import { hexId, st, storageOf, type DrbdMd, type MinorRt, type Storage, type DevData } from './state.js';
import { hostSections, opt, type DrbdConfig, type DrbdResource } from './drbd-conf.js';
import type { ProcFileFn } from '../node/proc.js';

/** The two header lines of /proc/drbd (8.3.12 from ELRepo, 2569-2570). */
export const VERSION =
  'version: 8.3.12 (api:88/proto:86-96)\nGIT-hash: e2a8ef4656be026bbae540305fcb998a5991090f build by dag@Build64R6, 2011-11-20 10:57:03\n';
/** Resync speed of the lab, KiB/s (the tutorial's captures show ~1,280 K/sec, 5213–5225). */
const SYNC_KIBS = 1280;

/** Usable DRBD device size (KiB) of a backing device with internal meta data (8.3's flexible layout). */
export function usableKiB(bytes: number): number {
  const sect = Math.floor(bytes / 512 / 8) * 8;
  const md = Math.ceil(Math.ceil(sect / 32768) / 8) * 8 + 72;
  return Math.floor((sect - md) / 8) * 4;
}

function kernel(node: LabNode, minor: number, msg: string): void {
  node.log('kernel', `block drbd${minor}: ${msg}`);
}

function hasModule(node: LabNode): boolean {
  return (
    node.packages.has('kmod-drbd83') ||
    node.packages.has('kmod-drbd') ||
    node.fs.exists('/lib/modules/2.6.32-358.el6.x86_64/updates/drbd.ko')
  );
}

/** Load the module (modprobe drbd). */
export function loadModule(node: LabNode): boolean {
  if (!hasModule(node)) return false;
  const ns = st(node).of(node);
  if (!ns.drbdLoaded) {
    ns.drbdLoaded = true;
    node.log('kernel', 'drbd: initialized. Version: 8.3.12 (api:88/proto:86-96)');
  }
  return true;
}

/** Resolve a resource's config on this node. */
export function resolve(
  node: LabNode,
  cfg: DrbdConfig,
  name: string,
): { r: DrbdResource; minor: number; disk: string; self: string; peer: string; peerHost: string } | string {
  const r = cfg.resources.find((x) => x.name === name);
  if (!r) return `'${name}' not defined in your config.`;
  const h = hostSections(r, node.hostname);
  if (typeof h === 'string') return h;
  return {
    r,
    minor: Number(/(\d+)$/.exec(h.me.device!)![1]),
    disk: h.me.disk!,
    self: h.me.address!,
    peer: h.peer.address!,
    peerHost: h.peer.host,
  };
}

function netOf(r: DrbdResource, self: string, peer: string, peerHost: string): NonNullable<MinorRt['net']> {
  const allow = opt(r.net, 'allow-two-primaries') !== undefined;
  const sb0 = String(opt(r.net, 'after-sb-0pri') ?? 'disconnect');
  const sb1 = String(opt(r.net, 'after-sb-1pri') ?? 'disconnect');
  const sb2 = String(opt(r.net, 'after-sb-2pri') ?? 'disconnect');
  return {
    self,
    peer,
    peerHost,
    key: JSON.stringify([
      r.protocol,
      allow,
      sb0,
      sb1,
      sb2,
      opt(r.net, 'cram-hmac-alg') ?? '',
      opt(r.net, 'shared-secret') ?? '',
    ]),
    allowTwoPrimaries: allow,
    fencing: String(opt(r.disk, 'fencing') ?? 'dont-care'),
    fencePeer: opt(r.handlers, 'fence-peer') ?? undefined,
    afterSb0: sb0,
    afterSb1: sb1,
    afterSb2: sb2,
  };
}

function newUuid(world: World): string {
  return hexId(world, 16).toUpperCase();
}

/** Start a new data generation (a Primary that lost or never had its peer). */
function bumpUuid(world: World, md: DrbdMd): void {
  if (md.uuid) md.history.unshift(md.uuid);
  md.history = md.history.slice(0, 4);
  md.uuid = newUuid(world);
}

/** The peer node and its minor for a minor with a net config, when the SN path between them works. */
function findPeer(world: World, node: LabNode, m: MinorRt): { peer: LabNode; pm: MinorRt } | undefined {
  if (!m.net) return undefined;
  const [selfIp] = m.net.self.split(':');
  const [peerIp] = m.net.peer.split(':');
  const mine = node.net.ifaceOf(selfIp);
  if (!mine || !node.net.operational(mine.name)) return undefined;
  const peer = world.nodeByIp(peerIp);
  if (!peer || peer === node || !peer.running) return undefined;
  const theirs = peer.net.ifaceOf(peerIp);
  if (!theirs || !peer.net.operational(theirs.name)) return undefined;
  if (!node.net.sourceFor(peerIp) || !peer.net.sourceFor(selfIp)) return undefined;
  const ps = storageOf(world).of(peer);
  if (!ps.drbdLoaded) return undefined;
  const pm = Object.values(ps.minors).find((x) => x.net && x.net.self === m.net!.peer);
  if (!pm || pm.net!.peer !== m.net.self) return undefined;
  return { peer, pm };
}

/** Connected, or resyncing (the peers talk). */
export const connectedish = (m: MinorRt) => m.cs === 'Connected' || m.cs === 'SyncSource' || m.cs === 'SyncTarget';

/** Try the handshake of every waiting minor in the world (after any change that may let one through). */
export function tryConnectAll(world: World): void {
  const s = storageOf(world);
  for (const node of Object.values(world.nodes)) {
    if (!node.running) continue;
    for (const m of Object.values(s.of(node).minors)) if (m.cs === 'WFConnection') handshake(world, s, node, m);
  }
  wake(world);
}

/**
 * KiB/s one running guest writes to its disk. NOTE: the lab's assumption, no upstream source: it makes
 * a peer's absence of a few minutes cost a resync of hundreds of MB at the tutorial's 1,280 K/s
 * (5213-5225 shows ~1 GB out of sync per resource after a node was away), so "wait for the resync before
 * migrating back" is exercised.
 */
export const GUEST_WRITE_KIBS = 512;

/**
 * Count the blocks running guests wrote since the last count while this Primary has no peer: they
 * are set in the bitmap (out of sync) and make the next resync (DRBD 8.3: only the blocks set in the
 * bitmap are sent). The first write without the peer starts a new data generation.
 */
export function accrueGuestWrites(world: World, node: LabNode, m: MinorRt): void {
  const md = storageOf(world).block(node, m.disk).md;
  if (!md) return;
  if (m.role !== 'Primary' || connectedish(m) || m.ds === 'Diskless') {
    delete md.dirtySince;
    return;
  }
  const now = world.now();
  const since = md.dirtySince ?? now;
  md.dirtySince = now;
  const writers = storageOf(world).layers.guestWriters(node, `/dev/drbd${m.minor}`);
  if (!writers || now <= since) return;
  if (md.dirty === undefined) bumpUuid(world, md);
  md.dirty = (md.dirty ?? 0) + Math.round((writers * GUEST_WRITE_KIBS * (now - since)) / 1000);
  m.oos = md.dirty;
  m.stats.dw += Math.round((writers * GUEST_WRITE_KIBS * (now - since)) / 1000);
}

function handshake(world: World, s: Storage, node: LabNode, m: MinorRt): void {
  const hit = findPeer(world, node, m);
  if (!hit || hit.pm.cs !== 'WFConnection') return;
  const { peer, pm } = hit;
  accrueGuestWrites(world, node, m);
  accrueGuestWrites(world, peer, pm);
  if (pm.net!.key !== m.net!.key) {
    // NOTE: a peer with other net options is refused: both drop to StandAlone (8.3 checks them at the handshake).
    for (const [n, x] of [
      [node, m],
      [peer, pm],
    ] as const) {
      kernel(n, x.minor, 'incompatible net options with the peer (protocol, allow-two-primaries or after-sb policies)');
      kernel(n, x.minor, 'conn( WFReportParams -> Disconnecting )');
      kernel(n, x.minor, 'conn( Disconnecting -> StandAlone )');
      x.cs = 'StandAlone';
      delete x.net;
    }
    return;
  }
  const a = s.block(node, m.disk).md!;
  const b = s.block(peer, pm.disk).md!;
  const link = () => {
    for (const [n, x, y] of [
      [node, m, pm],
      [peer, pm, m],
    ] as const) {
      x.peerRole = y.role;
      x.pds = y.ds;
      x.everConnected = true;
      kernel(n, x.minor, `conn( WFConnection -> WFReportParams ) `);
      // The connection is established again: I/O frozen by `fencing resource-and-stonith` resumes, whatever
      // the fence-peer handler did or is still doing (DRBD 8.3 drbd_main.c `after_state_ch()`, "case2: The
      // connection was established again": `os.conn < C_CONNECTED && ns.conn >= C_CONNECTED` clears
      // NEW_CUR_UUID, resends the frozen requests and sets `susp_fen = 0`).
      if (x.susp) {
        kernel(n, x.minor, 'susp( 1 -> 0 ) ');
        x.susp = false;
      }
    }
    schedulePing(world);
  };
  const syncFrom = (srcNode: LabNode, src: MinorRt, dstNode: LabNode, dst: MinorRt, kib: number) => {
    link();
    src.cs = 'SyncSource';
    dst.cs = 'SyncTarget';
    dst.ds = 'Inconsistent';
    src.pds = 'Inconsistent';
    dst.pds = src.ds;
    const total = Math.max(4, kib);
    src.oos = dst.oos = total;
    const sync = { totalKiB: total, startedAt: world.now(), rateKiB: SYNC_KIBS };
    src.sync = dst.sync = sync;
    kernel(dstNode, dst.minor, `conn( WFBitMapT -> WFSyncUUID ) `);
    kernel(
      dstNode,
      dst.minor,
      `Began resync as SyncTarget (will sync ${total} KB [${Math.ceil(total / 4)} bits set]).`,
    );
    kernel(
      srcNode,
      src.minor,
      `Began resync as SyncSource (will sync ${total} KB [${Math.ceil(total / 4)} bits set]).`,
    );
    world.schedule(Math.ceil((total / SYNC_KIBS) * 1000), 'storage.drbd-sync-done', {
      src: srcNode.name,
      dst: dstNode.name,
      srcMinor: src.minor,
      dstMinor: dst.minor,
    });
  };
  if (a.uuid === b.uuid) {
    link();
    m.cs = pm.cs = 'Connected';
    // NOTE: same generation: an Outdated side is brought up to date from the bitmap (nothing to send here).
    if (a.uuid && (m.ds === 'Outdated' || pm.ds === 'Outdated')) {
      if (m.ds === 'Outdated' && pm.ds === 'UpToDate') m.ds = a.disk = 'UpToDate';
      if (pm.ds === 'Outdated' && m.ds === 'UpToDate') pm.ds = b.disk = 'UpToDate';
    }
    m.pds = pm.ds;
    pm.pds = m.ds;
    m.oos = pm.oos = a.uuid ? 0 : m.oos;
    kernel(node, m.minor, 'conn( WFReportParams -> Connected ) ');
    kernel(peer, pm.minor, 'conn( WFReportParams -> Connected ) ');
    return;
  }
  if (!a.uuid || !b.uuid) {
    // NOTE: brand new metadata on one side: full sync from the side with data.
    if (a.uuid && m.ds === 'UpToDate') return syncFrom(node, m, peer, pm, a.sizeKiB);
    if (b.uuid && pm.ds === 'UpToDate') return syncFrom(peer, pm, node, m, b.sizeKiB);
    link();
    m.cs = pm.cs = 'Connected';
    return;
  }
  if (a.history.includes(b.uuid)) return syncFrom(node, m, peer, pm, a.dirty ?? 4);
  if (b.history.includes(a.uuid)) return syncFrom(peer, pm, node, m, b.dirty ?? 4);
  // Split brain: both sides changed since they last shared a generation.
  const prim = [m.role, pm.role].filter((r) => r === 'Primary').length;
  const policy = prim === 2 ? m.net!.afterSb2 : prim === 1 ? m.net!.afterSb1 : m.net!.afterSb0;
  const dirtyA = a.dirty ?? 0;
  const dirtyB = b.dirty ?? 0;
  if (policy === 'discard-secondary' && prim === 1) {
    return m.role === 'Primary'
      ? syncFrom(node, m, peer, pm, Math.max(dirtyA, dirtyB))
      : syncFrom(peer, pm, node, m, Math.max(dirtyA, dirtyB));
  }
  if (policy === 'discard-zero-changes' && (dirtyA === 0) !== (dirtyB === 0)) {
    return dirtyA === 0 ? syncFrom(peer, pm, node, m, dirtyB) : syncFrom(node, m, peer, pm, dirtyA);
  }
  for (const [n, x] of [
    [node, m],
    [peer, pm],
  ] as const) {
    kernel(n, x.minor, `helper command: /sbin/drbdadm initial-split-brain minor-${x.minor}`);
    kernel(n, x.minor, `helper command: /sbin/drbdadm initial-split-brain minor-${x.minor} exit code 0 (0x0)`);
    kernel(n, x.minor, 'Split-Brain detected but unresolved, dropping connection!');
    kernel(n, x.minor, `helper command: /sbin/drbdadm split-brain minor-${x.minor}`);
    kernel(n, x.minor, `helper command: /sbin/drbdadm split-brain minor-${x.minor} exit code 0 (0x0)`);
    kernel(n, x.minor, 'conn( WFReportParams -> Disconnecting )');
    x.cs = 'StandAlone';
    x.peerRole = 'Unknown';
    x.pds = 'DUnknown';
  }
}

// ---------- waiting (drbd start's wfc-timeout) ----------

interface Waiter {
  check(): boolean;
  resolve(timedOut: boolean): void;
  timer: number;
}
const WAITERS = new WeakMap<World, Map<number, Waiter>>();
let waiterSeq = 0;

function wake(world: World): void {
  const ws = WAITERS.get(world);
  if (!ws) return;
  for (const [id, w] of [...ws]) {
    if (w.check()) {
      ws.delete(id);
      world.cancelTimer(w.timer);
      w.resolve(false);
    }
  }
}

/** Wait (in lab time) until `check` holds or `ms` passed; resolves true on timeout. 0 ms = forever. */
export function waitFor(world: World, check: () => boolean, ms: number): Promise<boolean> {
  if (check()) return Promise.resolve(false);
  return new Promise((resolve) => {
    const id = ++waiterSeq;
    const timer = ms > 0 ? world.schedule(ms, 'storage.wfc', { id }) : -1;
    let ws = WAITERS.get(world);
    if (!ws) WAITERS.set(world, (ws = new Map<number, Waiter>()));
    ws.set(id, { check, resolve, timer });
  });
}

// ---------- per-resource operations ----------

/** A resource resolved for this host. */
export type Res = Exclude<ReturnType<typeof resolve>, string>;

/** What a drbdadm sub-command returns. */
export interface OpResult {
  code: number;
  out?: string;
  err?: string;
}

/** A node's configured minors. */
export const minorsOf = (node: LabNode) => st(node).of(node).minors;

function needModule(node: LabNode, res: Res, what: string): OpResult | null {
  if (st(node).of(node).drbdLoaded) return null;
  return {
    code: 20,
    err: `Could not stat("/proc/drbd"): No such file or directory\ndo you need to load the module?\ntry: modprobe drbd\nCommand 'drbdsetup ${res.minor} ${what}' terminated with exit code 20\n`,
  };
}

export function attach(node: LabNode, res: Res): OpResult {
  const cmd = `disk ${res.disk} ${res.disk} internal --set-defaults --create-device --fencing=${opt(res.r.disk, 'fencing') ?? 'dont-care'}`;
  const nm = needModule(node, res, cmd);
  if (nm) return nm;
  const cur = minorsOf(node)[res.minor];
  if (cur && cur.ds !== 'Diskless')
    return {
      code: 10,
      err: `${res.minor}: Failure: (124) Device is attached to a disk (use detach first)\nCommand 'drbdsetup ${res.minor} ${cmd}' terminated with exit code 10\n`,
    };
  const dev = node.fs.stat(res.disk);
  if (dev?.device !== 'block')
    return {
      code: 10,
      err: `${res.minor}: Failure: (104) Can not open backing device.\nCommand 'drbdsetup ${res.minor} ${cmd}' terminated with exit code 10\n`,
    };
  const b = st(node).block(node, res.disk);
  if (!b.md)
    return {
      code: 10,
      err: `${res.minor}: Failure: (119) No valid meta-data signature found.\n\n\t==> Use 'drbdadm create-md res' to initialize meta-data area. <==\n\nCommand 'drbdsetup ${res.minor} ${cmd}' terminated with exit code 10\n`,
    };
  const m: MinorRt = cur ?? {
    res: res.r.name,
    minor: res.minor,
    disk: res.disk,
    cs: 'StandAlone',
    role: 'Secondary',
    peerRole: 'Unknown',
    ds: 'Diskless',
    pds: 'DUnknown',
    susp: false,
    stats: { ns: 0, nr: 0, dw: 0, dr: 0, bm: 0 },
    oos: 0,
    everConnected: false,
  };
  m.disk = res.disk;
  m.ds = b.md.disk;
  m.oos = b.md.uuid ? 0 : b.md.sizeKiB;
  minorsOf(node)[res.minor] = m;
  kernel(node, res.minor, `disk( Diskless -> Attaching ) `);
  kernel(node, res.minor, `disk( Attaching -> ${m.ds} ) `);
  return { code: 0 };
}

export function connect(node: LabNode, res: Res): OpResult {
  const cmd = `net ipv4:${res.self} ipv4:${res.peer} ${res.r.protocol} --set-defaults --create-device`;
  const nm = needModule(node, res, cmd);
  if (nm) return nm;
  const m = minorsOf(node)[res.minor];
  if (!m)
    return {
      code: 10,
      err: `${res.minor}: Failure: (127) Device minor not allocated\nCommand 'drbdsetup ${res.minor} ${cmd}' terminated with exit code 10\n`,
    };
  if (m.net)
    return {
      code: 10,
      err: `${res.minor}: Failure: (125) Device has a net-config (use disconnect first)\nCommand 'drbdsetup ${res.minor} ${cmd}' terminated with exit code 10\n`,
    };
  m.net = netOf(res.r, res.self, res.peer, res.peerHost);
  m.cs = 'WFConnection';
  kernel(node, res.minor, 'conn( StandAlone -> Unconnected ) ');
  kernel(node, res.minor, 'conn( Unconnected -> WFConnection ) ');
  const world = worldOf(node);
  handshake(world, st(node), node, m);
  if (m.cs === 'WFConnection') scheduleRetry(world);
  return { code: 0 };
}

function scheduleRetry(world: World): void {
  if (world.scheduler.pending().some((t) => t.kind === 'storage.drbd-retry')) return;
  world.schedule(10_000, 'storage.drbd-retry', null);
}

/** Keep checking connected minors (DRBD's ping): a broken SN path is a network failure on both sides. */
function schedulePing(world: World): void {
  if (world.scheduler.pending().some((t) => t.kind === 'storage.drbd-ping')) return;
  world.schedule(5_000, 'storage.drbd-ping', null);
}

/** Whether the SN path of a minor's connection still works (both ends configured and operational). */
function findPeerPath(world: World, node: LabNode, m: MinorRt): boolean {
  if (!m.net) return false;
  const [selfIp] = m.net.self.split(':');
  const [peerIp] = m.net.peer.split(':');
  const mine = node.net.ifaceOf(selfIp);
  const peer = world.nodeByIp(peerIp);
  const theirs = peer?.net.ifaceOf(peerIp);
  return (
    !!mine &&
    node.net.operational(mine.name) &&
    !!peer &&
    !!theirs &&
    peer.net.operational(theirs.name) &&
    !!node.net.sourceFor(peerIp)
  );
}

/** The peer node of a connected minor. */
function peerOf(node: LabNode, m: MinorRt): { peer: LabNode; pm: MinorRt } | undefined {
  if (!m.net || !connectedish(m)) return undefined;
  const world = worldOf(node);
  const [peerIp] = m.net.peer.split(':');
  const peer = world.nodeByIp(peerIp);
  if (!peer) return undefined;
  const pm = Object.values(storageOf(world).of(peer).minors).find((x) => x.net?.self === m.net!.peer);
  return pm ? { peer, pm } : undefined;
}

export function primary(node: LabNode, res: Res, force = false): OpResult {
  const m = minorsOf(node)[res.minor];
  if (!m)
    return {
      code: 10,
      err: `${res.minor}: Failure: (127) Device minor not allocated\nCommand 'drbdsetup ${res.minor} primary' terminated with exit code 10\n`,
    };
  if (m.role === 'Primary') return { code: 0 };
  const p = peerOf(node, m);
  if (p && p.pm.role === 'Primary' && !m.net?.allowTwoPrimaries)
    return {
      code: 11,
      err: `${res.minor}: State change failed: (-1) Multiple primaries not allowed by config\nCommand 'drbdsetup ${res.minor} primary' terminated with exit code 11\n`,
    };
  const upToDate = m.ds === 'UpToDate' || (p && p.pm.ds === 'UpToDate') || (force && m.ds === 'Inconsistent');
  // NOTE: DRBD 8.3.12 drbd_main.c `is_valid_state()` -> SS_NO_UP_TO_DATE_DISK; drbdsetup.c prints
  // "State change failed: (-2) ..." and exits 17 for this error (not 11).
  if (!upToDate)
    return {
      code: 17,
      err: `${res.minor}: State change failed: (-2) Need access to UpToDate data\nCommand 'drbdsetup ${res.minor} primary' terminated with exit code 17\n`,
    };
  if (m.susp)
    return {
      code: 11,
      err: `${res.minor}: State change failed: (-10) State change was refused by peer node\nCommand 'drbdsetup ${res.minor} primary' terminated with exit code 11\n`,
    };
  const md = st(node).block(node, m.disk).md!;
  if (force && m.ds !== 'UpToDate') m.ds = md.disk = 'UpToDate';
  if (!p) {
    bumpUuid(worldOf(node), md);
    md.dirty ??= 0;
  }
  m.role = 'Primary';
  if (p) p.pm.peerRole = 'Primary';
  kernel(node, res.minor, 'role( Secondary -> Primary ) ');
  return { code: 0 };
}

export function secondary(node: LabNode, res: Res): OpResult {
  const m = minorsOf(node)[res.minor];
  if (!m)
    return {
      code: 10,
      err: `${res.minor}: Failure: (127) Device minor not allocated\nCommand 'drbdsetup ${res.minor} secondary' terminated with exit code 10\n`,
    };
  if (m.role === 'Secondary') return { code: 0 };
  if (st(node).layers.heldOpen(node, `/dev/drbd${res.minor}`))
    return {
      code: 11,
      err: `${res.minor}: State change failed: (-12) Device is held open by someone\nCommand 'drbdsetup ${res.minor} secondary' terminated with exit code 11\n`,
    };
  m.role = 'Secondary';
  const p = peerOf(node, m);
  if (p) p.pm.peerRole = 'Secondary';
  kernel(node, res.minor, 'role( Primary -> Secondary ) ');
  return { code: 0 };
}

/** Drop the connection of a minor; `graceful` = the peer is told (drbdadm disconnect/down). */
export function dropConnection(world: World, node: LabNode, m: MinorRt, goingDown: boolean): void {
  const p = peerOf(node, m);
  if (p) {
    const { peer, pm } = p;
    kernel(
      peer,
      pm.minor,
      `peer( ${m.role} -> Unknown ) conn( ${pm.cs} -> TearDown ) pdsk( ${pm.pds} -> ${goingDown ? 'Outdated' : 'DUnknown'} ) `,
    );
    kernel(peer, pm.minor, 'conn( TearDown -> Unconnected ) ');
    kernel(peer, pm.minor, 'conn( Unconnected -> WFConnection ) ');
    if (pm.sync) delete pm.sync;
    if (pm.cs === 'SyncTarget') pm.ds = 'Inconsistent';
    pm.cs = 'WFConnection';
    pm.peerRole = 'Unknown';
    pm.pds = goingDown && m.ds === 'UpToDate' && pm.role === 'Primary' ? 'Outdated' : 'DUnknown';
    storageOf(world).block(peer, pm.disk).md!.degraded = true;
    accrueGuestWrites(world, peer, pm);
    scheduleRetry(world);
  }
  if (m.sync) delete m.sync;
  if (m.cs === 'SyncTarget') m.ds = 'Inconsistent';
}

export function disconnect(node: LabNode, res: Res, goingDown = false): OpResult {
  const m = minorsOf(node)[res.minor];
  if (!m || !m.net) return { code: 0 };
  dropConnection(worldOf(node), node, m, goingDown);
  m.cs = 'StandAlone';
  m.peerRole = 'Unknown';
  m.pds = 'DUnknown';
  delete m.net;
  kernel(node, res.minor, 'conn( WFConnection -> Disconnecting ) ');
  kernel(node, res.minor, 'conn( Disconnecting -> StandAlone ) ');
  return { code: 0 };
}

/**
 * `drbdadm detach`: DRBD 8.3.12 drbd_nl.c `drbd_nl_detach()` asks for disk Failed -> Diskless; the
 * state rules (`is_valid_state()`) refuse it on a Primary that would be left without UpToDate data
 * (no connected UpToDate peer): SS_NO_UP_TO_DATE_DISK, exit 17. A held-open device may detach (I/O
 * then goes to the peer).
 */
export function detach(node: LabNode, res: Res): OpResult {
  const m = minorsOf(node)[res.minor];
  if (!m || m.ds === 'Diskless') return { code: 0 };
  if (m.role === 'Primary' && !(connectedish(m) && m.pds === 'UpToDate'))
    return {
      code: 17,
      err: `${res.minor}: State change failed: (-2) Need access to UpToDate data\nCommand 'drbdsetup ${res.minor} detach' terminated with exit code 17\n`,
    };
  const md = st(node).block(node, m.disk).md;
  if (md) md.disk = m.ds;
  kernel(node, res.minor, `disk( ${m.ds} -> Failed ) `);
  kernel(node, res.minor, 'disk( Failed -> Diskless ) ');
  m.ds = 'Diskless';
  const p = peerOf(node, m);
  if (p) p.pm.pds = 'Diskless';
  return { code: 0 };
}

export function down(node: LabNode, res: Res): OpResult {
  const m = minorsOf(node)[res.minor];
  if (!m) return { code: 0 };
  if (st(node).layers.heldOpen(node, `/dev/drbd${res.minor}`))
    return {
      code: 11,
      err: `${res.minor}: State change failed: (-12) Device is held open by someone\nCommand 'drbdsetup ${res.minor} down' terminated with exit code 11\n`,
    };
  const md = st(node).block(node, m.disk).md;
  const wasConnected = connectedish(m);
  const peerUpToDate = wasConnected && m.pds === 'UpToDate' && m.peerRole === 'Primary';
  m.role = 'Secondary';
  disconnect(node, res, true);
  if (md) {
    md.disk = m.ds === 'Diskless' ? md.disk : m.ds;
    // NOTE: leaving a connected Primary peer that goes on writing, this side is outdated (the peer shows it so, 3176-3182).
    if (peerUpToDate && md.disk === 'UpToDate') md.disk = 'Outdated';
    md.degraded = !wasConnected;
  }
  delete minorsOf(node)[res.minor];
  kernel(node, res.minor, 'disk( UpToDate -> Diskless ) ');
  return { code: 0 };
}

export function newCurrentUuid(node: LabNode, res: Res, clearBitmap: boolean): OpResult {
  const m = minorsOf(node)[res.minor];
  const cmd = `drbdsetup ${res.minor} new-current-uuid${clearBitmap ? ' --clear-bitmap' : ''}`;
  if (!m || m.ds === 'Diskless')
    return {
      code: 10,
      err: `${res.minor}: Failure: (138) Device does not have a disk-config\nCommand '${cmd}' terminated with exit code 10\n`,
    };
  const world = worldOf(node);
  const md = st(node).block(node, m.disk).md!;
  // NOTE: DRBD 8.3.12 drbd/drbd_nl.c `drbd_nl_new_c_uuid()`: skipping the initial sync needs a
  // Connected peer, brand-new metadata (UUID_JUST_CREATED) and --clear-bitmap; otherwise the device must
  // be StandAlone, else ERR_CONNECTED (151, "Need to be StandAlone", drbdsetup exit 10).
  const skipInitialSync = m.cs === 'Connected' && !md.uuid && clearBitmap;
  if (!skipInitialSync && m.cs !== 'StandAlone')
    return {
      code: 10,
      err: `${res.minor}: Failure: (151) Need to be StandAlone\nCommand '${cmd}' terminated with exit code 10\n`,
    };
  st(node).record(node, 'drbdadm new-current-uuid', res.r.name);
  const uuid = newUuid(world);
  md.history = md.uuid ? [md.uuid, ...md.history] : md.history;
  md.uuid = uuid;
  // NOTE: StandAlone: a new generation and (with --clear-bitmap) a clean bitmap; the disk state is not changed.
  if (skipInitialSync) {
    kernel(node, res.minor, 'Preparing to skip initial sync');
    m.ds = md.disk = 'UpToDate';
    m.oos = 0;
    const p = peerOf(node, m);
    if (p && p.pm.cs === 'Connected') {
      const pmd = storageOf(world).block(p.peer, p.pm.disk).md!;
      pmd.uuid = uuid;
      pmd.history = [...md.history];
      p.pm.ds = pmd.disk = 'UpToDate';
      p.pm.oos = 0;
      p.pm.pds = 'UpToDate';
      m.pds = 'UpToDate';
      // NOTE: both sides hold the same (empty) data now: the clear bitmap declares them identical.
      storageOf(world).block(p.peer, p.pm.disk).data = JSON.parse(
        JSON.stringify(st(node).block(node, m.disk).data),
      ) as DevData;
    }
  }
  return { code: 0 };
}

const MD_OFFSET = (bytes: number) => Math.floor(bytes / 512 / 8) * 8 * 512 - 4096;

export function createMd(node: LabNode, res: Res, answers: string[], out: (s: string) => void): OpResult {
  const cmdline = `drbdmeta ${res.minor} v08 ${res.disk} internal create-md`;
  const dev = node.fs.stat(res.disk);
  if (dev?.device !== 'block')
    return {
      code: 20,
      err: `open(${res.disk}) failed: No such file or directory\nCommand '${cmdline}' terminated with exit code 20\n`,
    };
  if (minorsOf(node)[res.minor])
    return {
      code: 20,
      err: `Device '${res.minor}' is configured!\nCommand '${cmdline}' terminated with exit code 20\n`,
    };
  const b = st(node).block(node, res.disk);
  const off = MD_OFFSET(dev.size);
  if (b.data.fs || b.data.pv) {
    const what = b.data.fs ? `${b.data.fs} filesystem` : 'LVM2 physical volume signature';
    out(
      `md_offset ${off}\nal_offset ${off - 32768}\nbm_offset ${off - 32768 - Math.ceil(dev.size / 32768 / 4096) * 4096}\n\nFound ${what}\n`,
    );
    return {
      code: 40,
      err: `\nDevice size would be truncated, which\nwould corrupt data and result in\n'access beyond end of device' errors.\nYou need to either\n   * use external meta data (recommended)\n   * shrink that filesystem first\n   * zero out the device (destroy the filesystem)\nOperation refused.\n\nCommand '${cmdline}' terminated with exit code 40\n`,
    };
  }
  if (b.md) {
    out(
      `You want me to create a v08 style flexible-size internal meta data block.\nThere appears to be a v08 flexible-size internal meta data block\nalready in place on ${res.disk} at byte offset ${off}\nDo you really want to overwrite the existing v08 meta-data?\n[need to type 'yes' to confirm] `,
    );
    const a = answers.shift();
    out('\n');
    if (a?.trim() !== 'yes') {
      out('Operation cancelled.\n');
      return { code: 1, err: `Command '${cmdline}' terminated with exit code 1\n` };
    }
  }
  st(node).record(node, 'drbdadm create-md', `${res.r.name} (${res.disk})`);
  b.md = { uuid: '', history: [], disk: 'Inconsistent', degraded: false, sizeKiB: usableKiB(dev.size) };
  b.data = {};
  out(
    'Writing meta data...\ninitializing activity log\nNOT initialized bitmap\nNew drbd meta data block successfully created.\nsuccess\n',
  );
  return { code: 0 };
}

export function dumpMd(node: LabNode, res: Res, out: (s: string) => void): OpResult {
  const cmdline = `drbdmeta ${res.minor} v08 ${res.disk} internal dump-md`;
  if (minorsOf(node)[res.minor])
    return {
      code: 20,
      err: `Device '${res.minor}' is configured!\nCommand '${cmdline}' terminated with exit code 20\n`,
    };
  const dev = node.fs.stat(res.disk);
  if (dev?.device !== 'block')
    return {
      code: 20,
      err: `open(${res.disk}) failed: No such file or directory\nCommand '${cmdline}' terminated with exit code 20\n`,
    };
  const md = st(node).block(node, res.disk).md;
  if (!md) return { code: 255, err: `No valid meta data found\nCommand '${cmdline}' terminated with exit code 255\n` };
  const u = (s: string) => `0x${(s || '0000000000000004').padStart(16, '0')}`;
  const h = [...md.history, '', '', ''].slice(0, 3).map((x) => `0x${(x || '0').padStart(16, '0')}`);
  out(
    `# DRBD meta data dump\n# ${new Date(node.world.now()).toISOString().replace('T', ' ').slice(0, 19)} [${Math.floor(node.world.now() / 1000)}]\n# ${node.hostname}> ${cmdline}\n#\n\nversion "v08";\n\n# md_size_sect ${Math.ceil(Math.ceil(dev.size / 512 / 32768) / 8) * 8 + 72}\n# md_offset ${MD_OFFSET(dev.size)}\n\nuuid {\n    ${u(md.uuid)}; ${h.join('; ')};\n    flags 0x${md.disk === 'UpToDate' ? '00000011' : '00000000'};\n}\nla-size-sect ${md.sizeKiB * 2};\nbm-byte-per-bit 4096;\ndevice-uuid 0x${md.uuid ? md.uuid.slice(0, 16) : '0000000000000000'};\n# bm-bytes ${Math.ceil(md.sizeKiB / 4 / 8)};\n# bits-set ${md.uuid ? 0 : Math.ceil(md.sizeKiB / 4)};\nbm {\n}\n`,
  );
  return { code: 0 };
}

// ---------- what the upper layers use ----------

/** The data a node reads through `/dev/drbdN` (undefined when it cannot open it: Secondary, not configured). */
export function drbdData(node: LabNode, device: string): { data: DevData; minor: MinorRt } | undefined {
  const n = /^\/dev\/drbd(\d+)$/.exec(device);
  if (!n) return undefined;
  const m = minorsOf(node)[n[1]];
  if (!m || m.ds === 'Diskless' || m.role !== 'Primary') return undefined;
  return { data: st(node).block(node, m.disk).data, minor: m };
}

/** Write through `/dev/drbdN`: applied locally and, while connected, on the peer (replication). */
export function drbdWrite(node: LabNode, device: string, kib: number, fn: (d: DevData) => void): boolean {
  const hit = drbdData(node, device);
  if (!hit) return false;
  fn(hit.data);
  hit.minor.stats.dw += kib;
  const p = peerOf(node, hit.minor);
  const world = worldOf(node);
  if (p && hit.minor.cs !== 'SyncTarget') {
    fn(storageOf(world).block(p.peer, p.pm.disk).data);
    hit.minor.stats.ns += kib;
    p.pm.stats.nr += kib;
    p.pm.stats.dw += kib;
  } else {
    const md = st(node).block(node, hit.minor.disk).md!;
    // NOTE: the first write of a Primary without its peer starts a new data generation.
    if (md.dirty === undefined) bumpUuid(world, md);
    md.dirty = (md.dirty ?? 0) + Math.max(4, kib);
  }
  return true;
}

// ---------- peer loss (crash / power off) and fencing ----------

/** A node went down: its fence-peer handlers stop, and its peers lose it. */
export const drbdNodeDown = (s: Storage, node: LabNode): void => {
  for (const c of RUNNING_HANDLERS.get(s.world)?.get(node.name) ?? []) c.abort();
  for (const m of Object.values(s.of(node).minors)) {
    const p = peerOf(node, m);
    if (p) lostPeer(s, p.peer, node, m, p.pm, 'down');
  }
  scheduleRetry(s.world);
};

/**
 * `survivor`'s minor `pm` lost its peer (`victim`'s minor `m`): NetworkFailure, WFConnection, and with
 * `fencing resource-and-stonith` on a Primary: I/O suspended and the fence-peer handler called.
 */
function lostPeer(
  s: Storage,
  survivor: LabNode,
  victim: LabNode,
  m: MinorRt,
  pm: MinorRt,
  _why: 'down' | 'network',
): void {
  const world = s.world;
  const peer = survivor;
  const fence = pm.role === 'Primary' && pm.net?.fencing === 'resource-and-stonith';
  kernel(peer, pm.minor, 'PingAck did not arrive in time.');
  kernel(
    peer,
    pm.minor,
    `peer( ${m.role} -> Unknown ) conn( ${pm.cs} -> NetworkFailure ) pdsk( ${pm.pds} -> DUnknown ) ${fence ? 'susp( 0 -> 1 ) ' : ''}`,
  );
  kernel(peer, pm.minor, 'asender terminated');
  kernel(peer, pm.minor, 'Terminating asender thread');
  kernel(peer, pm.minor, 'Connection closed');
  kernel(peer, pm.minor, 'conn( NetworkFailure -> Unconnected ) ');
  if (pm.sync) delete pm.sync;
  if (pm.cs === 'SyncTarget') pm.ds = 'Inconsistent';
  pm.cs = 'WFConnection';
  pm.peerRole = 'Unknown';
  pm.pds = 'DUnknown';
  s.block(peer, pm.disk).md!.degraded = true;
  accrueGuestWrites(world, peer, pm);
  if (fence) {
    pm.susp = true;
    kernel(peer, pm.minor, `helper command: /sbin/drbdadm fence-peer minor-${pm.minor}`);
  }
  kernel(peer, pm.minor, 'receiver terminated');
  kernel(peer, pm.minor, 'Restarting receiver thread');
  kernel(peer, pm.minor, 'receiver (re)started');
  kernel(peer, pm.minor, 'conn( Unconnected -> WFConnection ) ');
  // NOTE: the handler runs as one of the node's processes (a background job): `settle()` waits for it, so
  // a driver that advances lab time lets it finish in the same lab instant, as a real handler's fence_node
  // runs while the cluster is still fencing (not minutes of lab time later, after the peer came back).
  if (fence) peer.spawn(() => fencePeer(world, peer, pm, victim));
  scheduleRetry(world);
}

/** Handlers running now, by node: a node that goes down takes its running handler with it. */
const RUNNING_HANDLERS = new WeakMap<World, Map<string, Set<AbortController>>>();

/**
 * Run the fence-peer handler as DRBD does (DRBD 8.3.12 drbd_nl.c `drbd_try_outdate_peer()` via
 * `drbd_khelper()` -> `drbdadm fence-peer minor-N`, which runs the configured program with the
 * DRBD_RESOURCE, DRBD_MINOR, DRBD_PEER(S), DRBD_PEER_ADDRESS/AF environment of drbdadm_main.c): the
 * file on the node is executed, whatever it holds. Exit 7 "peer was stonithed" and 4 "peer was fenced"
 * outdate the peer and resume I/O; any other code is "fence-peer helper broken" and I/O stays frozen.
 */
async function fencePeer(world: World, node: LabNode, m: MinorRt, victim: LabNode): Promise<void> {
  const handler = m.net?.fencePeer;
  const fail = (code: number) => {
    kernel(
      node,
      m.minor,
      `helper command: /sbin/drbdadm fence-peer minor-${m.minor} exit code ${code} (0x${(code << 8).toString(16)})`,
    );
    kernel(node, m.minor, `fence-peer helper broken, returned ${code}`);
  };
  if (!handler) {
    // NOTE: no handler configured: drbdadm has nothing to run; I/O stays suspended (what the author hit, 4171).
    fail(1);
    return;
  }
  const [peerIp] = (m.net?.peer ?? '').split(':');
  const env = {
    DRBD_RESOURCE: m.res,
    DRBD_MINOR: String(m.minor),
    DRBD_PEER: m.net!.peerHost,
    DRBD_PEERS: m.net!.peerHost,
    DRBD_PEER_ADDRESS: peerIp,
    DRBD_PEER_AF: 'ipv4',
    DRBD_CONF: '/etc/drbd.conf',
  };
  const ctl = new AbortController();
  let byNode = RUNNING_HANDLERS.get(world);
  if (!byNode) RUNNING_HANDLERS.set(world, (byNode = new Map<string, Set<AbortController>>()));
  const mine = byNode.get(node.name) ?? new Set<AbortController>();
  byNode.set(node.name, mine);
  mine.add(ctl);
  let code: number;
  try {
    code = (await node.exec(handler, { env, signal: ctl.signal })).code;
  } catch {
    code = 255;
  } finally {
    mine.delete(ctl);
  }
  // NOTE: the node went down while its handler ran (fenced by its peer first): nothing is left to report.
  if (ctl.signal.aborted || !node.running || !minorsOf(node)[m.minor]) return;
  if (code !== 7 && code !== 4) {
    fail(code);
    return;
  }
  // The peer came back while the handler ran: its exit code is logged but changes nothing (DRBD 8.3
  // drbd_nl.c `_try_outdate_peer_async()` sets pdsk only while `conn < C_WF_REPORT_PARAMS`; the
  // reconnect already resumed I/O, drbd_main.c `after_state_ch()` case2). No new current UUID either.
  if (connectedish(m)) {
    kernel(
      node,
      m.minor,
      `helper command: /sbin/drbdadm fence-peer minor-${m.minor} exit code ${code} (0x${(code << 8).toString(16)})`,
    );
    kernel(
      node,
      m.minor,
      `fence-peer helper returned ${code} (${code === 7 ? 'peer was stonithed' : 'peer was fenced'})`,
    );
    if (code === 7) storageOf(world).layers.fenced(world, node, victim);
    world.changed();
    return;
  }
  if (code === 4) {
    kernel(node, m.minor, `helper command: /sbin/drbdadm fence-peer minor-${m.minor} exit code 4 (0x400)`);
    kernel(node, m.minor, 'fence-peer helper returned 4 (peer was fenced)');
    kernel(node, m.minor, 'pdsk( DUnknown -> Outdated ) ');
    kernel(node, m.minor, 'susp( 1 -> 0 ) ');
    m.pds = 'Outdated';
    m.susp = false;
    world.changed();
    return;
  }
  kernel(node, m.minor, `helper command: /sbin/drbdadm fence-peer minor-${m.minor} exit code 7 (0x700)`);
  kernel(node, m.minor, 'fence-peer helper returned 7 (peer was stonithed)');
  kernel(node, m.minor, 'pdsk( DUnknown -> Outdated ) ');
  const md = storageOf(world).block(node, m.disk).md!;
  bumpUuid(world, md);
  md.dirty ??= 0;
  kernel(
    node,
    m.minor,
    `new current UUID ${md.uuid}:${[...md.history, '', '']
      .slice(0, 3)
      .map((x) => x || '0000000000000000')
      .join(':')}`,
  );
  kernel(node, m.minor, 'susp( 1 -> 0 ) ');
  m.pds = 'Outdated';
  m.susp = false;
  storageOf(world).layers.fenced(world, node, victim);
  world.changed();
}

// ---------- /proc/drbd ----------

function fmtNum(n: number): string {
  return n.toLocaleString('en-US');
}

function hms(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

function minorLines(world: World, m: MinorRt): string {
  const standalone = !m.net;
  const proto = standalone ? ' ' : 'C';
  const flags = `${m.susp ? 's' : 'r'}----${standalone && !m.everConnected ? 's' : '-'}`;
  let oos = m.oos;
  let extra = '';
  if (m.sync) {
    const done = Math.min(m.sync.totalKiB, ((world.now() - m.sync.startedAt) / 1000) * m.sync.rateKiB);
    oos = Math.max(0, Math.round(m.sync.totalKiB - done));
    const pct = ((m.sync.totalKiB - oos) / m.sync.totalKiB) * 100;
    const n = Math.max(1, Math.floor(pct / 5));
    const bar = '='.repeat(n - 1) + '>' + '.'.repeat(20 - n);
    extra = `\t[${bar}] sync'ed: ${(Math.floor(pct * 10) / 10).toFixed(1)}% (${oos}/${m.sync.totalKiB})K\n\tfinish: ${hms(oos / m.sync.rateKiB)} speed: ${fmtNum(m.sync.rateKiB)} (${fmtNum(m.sync.rateKiB)}) want: 250 K/sec\n`;
  }
  const s = m.stats;
  return `${String(m.minor).padStart(2)}: cs:${m.cs} ro:${m.role}/${m.peerRole} ds:${m.ds}/${m.pds} ${proto} ${flags}\n    ns:${s.ns} nr:${s.nr} dw:${s.dw} dr:${s.dr} al:0 bm:${s.bm} lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:${oos}\n${extra}`;
}

/** /proc/drbd now (null when the module is not loaded). */
export function procDrbd(node: LabNode): string | null {
  const ns = st(node).of(node);
  if (!ns.drbdLoaded) return null;
  const world = worldOf(node);
  for (const m of Object.values(ns.minors)) accrueGuestWrites(world, node, m);
  return (
    VERSION +
    Object.values(ns.minors)
      .sort((a, b) => a.minor - b.minor)
      .map((m) => minorLines(world, m))
      .join('')
  );
}

/**
 * For the cluster subsystem: fenced reports `victim` fenced. GFS2 on the survivors replays the
 * victim's journal (DRBD's own fence-peer handler path reports it too; a second report is a no-op).
 */
export function nodeFenced(world: World, victim: string): void {
  const v = world.nodes[victim];
  if (!v) return;
  for (const n of Object.values(world.nodes)) if (n !== v && n.running) storageOf(world).layers.fenced(world, n, v);
}

/** The /proc files this module generates, by path. */
export const DRBD_PROC_FILES: Readonly<Record<string, ProcFileFn>> = {
  ['/proc/drbd']: procDrbd,
};

/** What this module's lab-time timers do, by kind. */
export const DRBD_TIMERS: Readonly<Record<string, TimerHandler>> = {
  ['storage.drbd-sync-done']: (world, data) => {
    const d = data as { src: string; dst: string; srcMinor: number; dstMinor: number };
    const s = storageOf(world);
    const src = s.of(d.src).minors[d.srcMinor];
    const dst = s.of(d.dst).minors[d.dstMinor];
    if (!src || !dst || src.cs !== 'SyncSource' || dst.cs !== 'SyncTarget') return;
    const sb = s.block(d.src, src.disk);
    const db = s.block(d.dst, dst.disk);
    db.data = JSON.parse(JSON.stringify(sb.data)) as DevData;
    db.md!.uuid = sb.md!.uuid;
    db.md!.history = [...sb.md!.history];
    db.md!.disk = 'UpToDate';
    delete sb.md!.dirty;
    delete sb.md!.dirtySince;
    delete db.md!.dirty;
    delete db.md!.dirtySince;
    sb.md!.degraded = db.md!.degraded = false;
    dst.stats.nr += src.sync?.totalKiB ?? 0;
    dst.stats.dw += src.sync?.totalKiB ?? 0;
    src.stats.ns += src.sync?.totalKiB ?? 0;
    for (const x of [src, dst]) {
      x.cs = 'Connected';
      x.oos = 0;
      delete x.sync;
    }
    dst.ds = 'UpToDate';
    src.pds = 'UpToDate';
    dst.pds = src.ds;
    const dn = world.nodes[d.dst];
    const sn = world.nodes[d.src];
    if (dn)
      kernel(
        dn,
        dst.minor,
        `Resync done (total ${Math.max(1, Math.round((src.sync?.totalKiB ?? 4) / SYNC_KIBS))} sec; paused 0 sec; ${SYNC_KIBS} K/sec)`,
      );
    if (dn) kernel(dn, dst.minor, 'conn( SyncTarget -> Connected ) disk( Inconsistent -> UpToDate ) ');
    if (sn) kernel(sn, src.minor, 'conn( SyncSource -> Connected ) pdsk( Inconsistent -> UpToDate ) ');
    wake(world);
  },
  ['storage.wfc']: (world, data) => {
    const id = (data as { id: number }).id;
    const ws = WAITERS.get(world);
    const waiter = ws?.get(id);
    if (!waiter) return;
    ws!.delete(id);
    waiter.resolve(true);
  },
  ['storage.drbd-retry']: (world) => {
    tryConnectAll(world);
    const s = storageOf(world);
    if (Object.values(world.nodes).some((n) => Object.values(s.of(n).minors).some((m) => m.cs === 'WFConnection')))
      scheduleRetry(world);
  },
  ['storage.drbd-ping']: (world) => {
    const s = storageOf(world);
    let any = false;
    for (const node of Object.values(world.nodes)) {
      if (!node.running) continue;
      for (const m of Object.values(s.of(node).minors)) {
        if (!connectedish(m)) continue;
        const p = peerOf(node, m);
        if (p && p.peer.running && findPeerPath(world, node, m)) {
          any = true;
          continue;
        }
        if (p) {
          lostPeer(s, node, p.peer, p.pm, m, 'network');
          lostPeer(s, p.peer, node, m, p.pm, 'network');
        }
      }
    }
    if (any) schedulePing(world);
    tryConnectAll(world);
  },
};
