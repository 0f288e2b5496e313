/**
 * The LVM2 tools the tutorial uses (pvcreate, vgcreate, lvcreate, pvscan, vgscan, lvscan,
 * pvs/vgs/lvs, vgdisplay, vgchange) and the clvmd init script, over the model of lvm.ts.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { type ActionResult, type ServiceDef } from '../node/services.js';
import { statusLine } from '../node/rc.js';
import { clusterView } from '../cluster/view.js';
import { EXTENT_KIB, hexId, st } from './state.js';
import { worldOf } from '../world/world.js';
import {
  accepted,
  activate,
  clusterNodes,
  deactivate,
  lockOr,
  lvOpenCount,
  lvmConf,
  scan,
  size,
  vgFree,
  vgs,
  writePv,
  PE_START_KIB,
  type Vg,
} from './lvm.js';

// ---------- commands ----------

function pvcreate(ctx: CmdCtx): number {
  const node = ctx.node;
  const devs = ctx.argv.slice(1).filter((a) => !a.startsWith('-'));
  if (!devs.length) {
    ctx.err('  Please enter a physical volume path\n');
    return 3;
  }
  const l = lockOr(ctx);
  if (!l.ok) return 5;
  let code = 0;
  for (const dev of devs) {
    const seen = scan(node).find((x) => x.dev === dev);
    if (!seen) {
      const isDrbd = /^\/dev\/drbd\d+$/.test(dev);
      if (
        isDrbd &&
        accepted(node, dev) &&
        Object.values(st(node).of(node).minors).some((m) => `/dev/drbd${m.minor}` === dev)
      )
        ctx.err(`  Can't open ${dev} exclusively.  Mounted filesystem?\n`);
      else ctx.err(`  Device ${dev} not found (or ignored by filtering).\n`);
      code = 5;
      continue;
    }
    if (seen.data.vg && seen.data.pv) {
      ctx.err(`  Can't initialize physical volume "${dev}" of volume group "${seen.data.vg.name}" without -ff\n`);
      code = 5;
      continue;
    }
    ctx.out(`  Writing physical volume data to disk "${dev}"\n`);
    st(node).record(node, 'pvcreate', dev);
    const uuid = hexId(worldOf(node), 32);
    writePv(node, seen, 4, (d) => {
      d.pv = { uuid };
      delete d.vg;
      delete d.fs;
    });
    ctx.out(`  Physical volume "${dev}" successfully created\n`);
  }
  node.world.changed();
  return code;
}

function vgcreate(ctx: CmdCtx): number {
  const node = ctx.node;
  const a = ctx.argv.slice(1);
  let clustered: boolean | undefined;
  const rest: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-c' || a[i] === '--clustered') clustered = (a[++i] ?? 'y').startsWith('y');
    else if (/^-c[yn]$/.test(a[i])) clustered = a[i] === '-cy';
    else if (a[i].startsWith('-')) {
      if (a[i] === '-s') i++;
    } else rest.push(a[i]);
  }
  const [name, ...pvs] = rest;
  if (!name || !pvs.length) {
    ctx.err('  Please provide volume group name and physical volumes\n');
    return 3;
  }
  const conf = lvmConf(node);
  const wantClustered = clustered ?? (conf.lockingType === 3 && node.isRunning('clvmd'));
  const l = lockOr(ctx, wantClustered);
  if (!l.ok) return 5;
  if (wantClustered && (conf.lockingType !== 3 || l.local)) {
    ctx.err(
      '  Clustered volume group creation requires a cluster locking type (locking_type = 3) and a running clvmd.\n',
    );
    return 5;
  }
  const all = vgs(node);
  if (all.some((v) => v.meta.name === name)) {
    ctx.err(`  A volume group called ${name} already exists.\n`);
    return 5;
  }
  const seen = scan(node);
  const targets = pvs.map((p) => seen.find((x) => x.dev === p));
  const missing = pvs.filter((_, i) => !targets[i]);
  if (missing.length) {
    ctx.err(
      missing.map((m) => `  Device ${m} not found (or ignored by filtering).\n`).join('') +
        `  Unable to add physical volume '${missing[0]}' to volume group '${name}'.\n`,
    );
    return 5;
  }
  for (const t of targets) {
    if (t!.data.vg) {
      ctx.err(
        `  Physical volume '${t!.dev}' is already in volume group '${t!.data.vg.name}'\n  Unable to add physical volume '${t!.dev}' to volume group '${name}'.\n`,
      );
      return 5;
    }
  }
  st(node).record(node, 'vgcreate', name);
  const uuid = hexId(worldOf(node), 32);
  for (const t of targets) {
    if (!t!.data.pv) ctx.out(`  Physical volume "${t!.dev}" successfully created\n`);
    writePv(node, t!, 4, (d) => {
      d.pv ??= { uuid: hexId(worldOf(node), 32) };
      d.vg = {
        name,
        uuid,
        clustered: wantClustered,
        pvs: [t!.dev],
        extents: Math.floor((t!.kib - PE_START_KIB) / EXTENT_KIB),
        lvs: [],
        seqno: 1,
      };
    });
  }
  ctx.out(`  ${wantClustered ? 'Clustered volume' : 'Volume'} group "${name}" successfully created\n`);
  node.world.changed();
  return 0;
}

function parseSizeKiB(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)$/.exec(s);
  if (!m) return undefined;
  const mul: Record<string, number> = { '': 1024, k: 1, m: 1024, g: 1024 ** 2, t: 1024 ** 3 };
  return Number(m[1]) * mul[m[2].toLowerCase()];
}

function lvcreate(ctx: CmdCtx): number {
  const node = ctx.node;
  const a = ctx.argv.slice(1);
  let name: string | undefined;
  let L: string | undefined;
  let l: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x === '-n' || x === '--name') name = a[++i];
    else if (x.startsWith('-n') && x.length > 2) name = x.slice(2);
    else if (x === '-L' || x === '--size') L = a[++i];
    else if (x.startsWith('-L') && x.length > 2) L = x.slice(2);
    else if (x === '-l' || x === '--extents') l = a[++i];
    else if (x.startsWith('-l') && x.length > 2) l = x.slice(2);
    else if (!x.startsWith('-')) rest.push(x);
  }
  // NOTE: lvcreate takes the VG as a name or as its /dev path (the tutorial's `/dev/an01-vg0`, 3306).
  const vgName = rest[0]?.replace(/^\/dev\//, '').replace(/\/$/, '');
  if (!vgName) {
    ctx.err('  Please specify a volume group name\n');
    return 3;
  }
  if (!L && !l) {
    ctx.err('  Please specify either size or extents\n');
    return 3;
  }
  const v = vgs(node).find((x) => x.meta.name === vgName);
  const lk = lockOr(ctx, v?.meta.clustered);
  if (!lk.ok) return 5;
  if (!v || (v.meta.clustered && lk.local)) {
    ctx.err(v ? `  Skipping clustered volume group ${vgName}\n` : `  Volume group "${vgName}" not found\n`);
    return 5;
  }
  const free = vgFree(v);
  let extents: number;
  if (l) {
    const m = /^(\d+)(?:%(FREE|VG|PVS))?$/i.exec(l);
    if (!m) {
      ctx.err(`  Invalid argument for --extents: ${l}\n`);
      return 3;
    }
    extents = m[2]
      ? Math.floor((Number(m[1]) / 100) * (m[2].toUpperCase() === 'FREE' ? free : v.meta.extents))
      : Number(m[1]);
  } else {
    const kib = parseSizeKiB(L!);
    if (kib === undefined) {
      ctx.err(`  Invalid argument for --size: ${L}\n`);
      return 3;
    }
    extents = Math.ceil(kib / EXTENT_KIB);
    if (extents * EXTENT_KIB !== kib)
      ctx.out(`  Rounding up size to full physical extent ${size(extents * EXTENT_KIB)}\n`);
  }
  const lvName = name ?? `lvol${v.meta.lvs.length}`;
  if (v.meta.lvs.some((x) => x.name === lvName)) {
    ctx.err(`  Logical volume "${lvName}" already exists in volume group "${vgName}"\n`);
    return 5;
  }
  if (extents > free || extents <= 0) {
    ctx.err(`  Volume group "${vgName}" has insufficient free space (${free} extents): ${extents} required.\n`);
    return 5;
  }
  st(node).record(node, 'lvcreate', `${vgName}/${lvName}`);
  writePv(node, v.pv, 4, (d) => {
    d.vg!.lvs.push({ name: lvName, extents });
    d.vg!.seqno++;
  });
  // NOTE: in a clustered VG the new LV is activated on every node running clvmd (2744).
  for (const n of v.meta.clustered ? clusterNodes(node, vgName) : [node]) activate(n, vgName, lvName);
  ctx.out(`  Logical volume "${lvName}" created\n`);
  node.world.changed();
  return 0;
}

function pvscan(ctx: CmdCtx): number {
  const l = lockOr(ctx);
  if (!l.ok) return 5;
  const found = scan(ctx.node, ctx.err).filter((x) => x.data.pv && (!l.local || !x.data.vg?.clustered));
  // NOTE: PVs of VGs first, in the order vgscan lists the VGs (3130-3132), then the orphans in device order.
  const vgOrder = [...new Set(found.filter((x) => x.data.vg).map((x) => x.data.vg!.name))].reverse();
  const pvs = [
    ...vgOrder.flatMap((v) => found.filter((x) => x.data.vg?.name === v)),
    ...found.filter((x) => !x.data.vg),
  ];
  if (!pvs.length) {
    ctx.out('  No matching physical volumes found\n');
    return 0;
  }
  const pl = Math.max(...pvs.map((p) => p.dev.length)) + 2;
  const vl = Math.max(...pvs.map((p) => (p.data.vg ? p.data.vg.name : '#orphans_lvm2').length)) + 2;
  let total = 0;
  let used = 0;
  let inUseN = 0;
  let freeKiB = 0;
  for (const p of pvs) {
    if (p.data.vg) {
      const vg = p.data.vg;
      const pe = vg.extents * EXTENT_KIB;
      const alloc = vg.lvs.reduce((a, x) => a + x.extents, 0) * EXTENT_KIB;
      ctx.out(`  PV ${p.dev.padEnd(pl)} VG ${vg.name.padEnd(vl)} lvm2 [${size(pe)} / ${size(pe - alloc)} free]\n`);
      total += pe;
      used += pe;
      inUseN++;
    } else {
      ctx.out(`  PV ${p.dev.padEnd(pl)}    ${' '.padEnd(vl)} lvm2 [${size(p.kib)}]\n`);
      total += p.kib;
      freeKiB += p.kib;
    }
  }
  ctx.out(
    `  Total: ${pvs.length} [${size(total)}] / in use: ${inUseN} [${size(used)}] / in no VG: ${pvs.length - inUseN} [${size(freeKiB)}]\n`,
  );
  return 0;
}

export function visibleVgs(ctx: CmdCtx, local: boolean): Vg[] {
  return vgs(ctx.node, ctx.err)
    .filter((v) => !(local && v.meta.clustered))
    .reverse();
}

function vgscan(ctx: CmdCtx): number {
  const l = lockOr(ctx);
  if (!l.ok) return 5;
  ctx.out('  Reading all physical volumes.  This may take a while...\n');
  const all = visibleVgs(ctx, l.local);
  if (!all.length) {
    ctx.out('  No volume groups found\n');
    return 0;
  }
  for (const v of all) ctx.out(`  Found volume group "${v.meta.name}" using metadata type lvm2\n`);
  return 0;
}

function lvscan(ctx: CmdCtx): number {
  const l = lockOr(ctx);
  if (!l.ok) return 5;
  const all = visibleVgs(ctx, l.local);
  if (!all.length) {
    ctx.out('  No volume groups found\n');
    return 0;
  }
  const active = st(ctx.node).of(ctx.node).active;
  for (const v of all)
    for (const lv of v.meta.lvs) {
      const on = active.includes(`${v.meta.name}/${lv.name}`);
      ctx.out(
        `  ${on ? 'ACTIVE            ' : 'inactive          '}'/dev/${v.meta.name}/${lv.name}' [${size(lv.extents * EXTENT_KIB)}] inherit\n`,
      );
    }
  return 0;
}

/** pvs / vgs / lvs with --noheadings, -o, --separator, --units (the common subset). */
function report(kind: 'pv' | 'vg' | 'lv'): CommandFn {
  return (ctx) => {
    const a = ctx.argv.slice(1);
    let fields: string[] | undefined;
    let plus: string[] = [];
    let headings = true;
    let units: string | undefined;
    let nosuffix = false;
    const names: string[] = [];
    for (let i = 0; i < a.length; i++) {
      const opt =
        a[i] === '-o' || a[i] === '--options'
          ? (a[++i] ?? '')
          : a[i].startsWith('-o') && a[i].length > 2
            ? a[i].slice(2)
            : undefined;
      // NOTE: lvm2 2.02.98 tools/reporter.c _report(): options starting with '+' are added to the
      // command's default columns.
      if (opt?.startsWith('+')) plus = opt.slice(1).split(',');
      else if (opt !== undefined) fields = opt.split(',');
      else if (a[i] === '--noheadings') headings = false;
      else if (a[i] === '--units') units = a[++i] ?? '';
      else if (a[i] === '--nosuffix') nosuffix = true;
      else if (!a[i].startsWith('-')) names.push(a[i]);
    }
    if (units !== undefined && !/^[hHbBsSkKmMgGtTpPeE]$/.test(units)) {
      ctx.err(`  Invalid units specification\n  Run \`${ctx.argv[0].split('/').pop()} --help' for more information.\n`);
      return 3;
    }
    // NOTE: --units X prints every size in that unit with two decimals (lower case: powers of 1024).
    const sz = (kib: number): string => {
      if (units === undefined || units === 'h' || units === 'H') {
        const t = size(kib).replace(' ', '').replace('iB', '').toLowerCase();
        return nosuffix ? t.replace(/[a-z]$/, '') : t;
      }
      const pow = 'bkmgtpe'.indexOf(units.toLowerCase());
      const base = units === units.toLowerCase() ? 1024 : 1000;
      const v = (kib * 1024) / base ** pow;
      // NOTE: lvm2 lib/display/display.c _display_size(): a size of 0 is "0" in any unit.
      if (kib === 0) return '0';
      return `${v.toFixed(2)}${nosuffix ? '' : units}`;
    };
    const l = lockOr(ctx);
    if (!l.ok) return 5;
    const active = st(ctx.node).of(ctx.node).active;
    const vgList = visibleVgs(ctx, l.local).reverse();
    type Row = Record<string, string>;
    let rows: Row[] = [];
    if (kind === 'pv') {
      const pvs = scan(ctx.node).filter((x) => x.data.pv && (!l.local || !x.data.vg?.clustered));
      rows = pvs
        .filter((p) => !names.length || names.includes(p.dev))
        .map((p) => ({
          pv_name: p.dev,
          vg_name: p.data.vg?.name ?? '',
          pv_fmt: 'lvm2',
          pv_attr: p.data.vg ? 'a-' : '--',
          pv_size: sz(p.data.vg ? p.data.vg.extents * EXTENT_KIB : p.kib),
          pv_free: sz(p.data.vg ? vgFree({ meta: p.data.vg, pv: p }) * EXTENT_KIB : p.kib),
          pv_used: sz(p.data.vg ? (p.data.vg.extents - vgFree({ meta: p.data.vg, pv: p })) * EXTENT_KIB : 0),
        }));
      fields ??= ['pv_name', 'vg_name', 'pv_fmt', 'pv_attr', 'pv_size', 'pv_free'];
    } else if (kind === 'vg') {
      const missing = names.filter((n) => !vgList.some((v) => v.meta.name === n));
      if (missing.length) {
        ctx.err(missing.map((n) => `  Volume group "${n}" not found\n`).join(''));
        return 5;
      }
      rows = vgList
        .filter((v) => !names.length || names.includes(v.meta.name))
        .map((v) => ({
          vg_name: v.meta.name,
          pv_count: '1',
          lv_count: String(v.meta.lvs.length),
          snap_count: '0',
          vg_attr: `wz--n${v.meta.clustered ? 'c' : '-'}`,
          vg_size: sz(v.meta.extents * EXTENT_KIB),
          vg_free: sz(vgFree(v) * EXTENT_KIB),
          vg_clustered: v.meta.clustered ? 'clustered' : '',
        }));
      // NOTE: lvm2 2.02.98 lib/config/defaults.h DEFAULT_VGS_COLS: vg_name,pv_count,lv_count,snap_count,vg_attr,vg_size,vg_free.
      fields ??= ['vg_name', 'pv_count', 'lv_count', 'snap_count', 'vg_attr', 'vg_size', 'vg_free'];
      if (!rows.length && !names.length) {
        ctx.err('  No volume groups found\n');
        return 0;
      }
    } else {
      const missing = names.filter((n) => !vgList.some((v) => v.meta.name === n.split('/')[0]));
      if (missing.length) {
        ctx.err(
          missing.map((n) => `  Volume group "${n}" not found\n`).join('') +
            '  Skipping volume group ' +
            missing[0] +
            '\n',
        );
        return 5;
      }
      for (const v of vgList)
        for (const lv of v.meta.lvs) {
          if (names.length && !names.some((n) => n === v.meta.name || n === `${v.meta.name}/${lv.name}`)) continue;
          const on = active.includes(`${v.meta.name}/${lv.name}`);
          rows.push({
            lv_name: lv.name,
            vg_name: v.meta.name,
            // NOTE: lvm2 2.02.98 lib/metadata/lv.c `lv_attr_dup()`: [4] 'a' active, [5] 'o' open (device open count).
            lv_attr: `-wi-${on ? 'a' : '-'}${on && lvOpenCount(ctx.node, `${v.meta.name}/${lv.name}`) ? 'o' : '-'}---`,
            lv_size: sz(lv.extents * EXTENT_KIB),
            lv_path: `/dev/${v.meta.name}/${lv.name}`,
          });
        }
      fields ??= ['lv_name', 'vg_name', 'lv_attr', 'lv_size'];
    }
    const head: Record<string, string> = {
      pv_name: 'PV',
      vg_name: 'VG',
      pv_fmt: 'Fmt',
      pv_attr: 'Attr',
      pv_size: 'PSize',
      pv_free: 'PFree',
      pv_used: 'Used',
      pv_count: '#PV',
      lv_count: '#LV',
      snap_count: '#SN',
      vg_attr: 'Attr',
      vg_size: 'VSize',
      vg_free: 'VFree',
      lv_name: 'LV',
      lv_attr: 'Attr',
      lv_size: 'LSize',
      lv_path: 'Path',
      vg_clustered: 'Clustered',
      // NOTE: lvm2 2.02.98 lib/report/columns.h; the tutorial's nodes set no tags, so they are empty.
      pv_tags: 'PV Tags',
      vg_tags: 'VG Tags',
      lv_tags: 'LV Tags',
    };
    fields = [...fields, ...plus];
    const unknown = fields.find((f) => !(f in head));
    if (unknown) {
      ctx.err(`  Unrecognised field: ${unknown}\n`);
      return 3;
    }
    // NOTE: lvm2 2.02.98 lib/config/defaults.h: rows sorted by DEFAULT_PVS_SORT "pv_name",
    // DEFAULT_VGS_SORT "vg_name", DEFAULT_LVS_SORT "vg_name,lv_name".
    const by = kind === 'pv' ? ['pv_name'] : kind === 'vg' ? ['vg_name'] : ['vg_name', 'lv_name'];
    rows.sort((x, y) => {
      for (const k of by) if (x[k] !== y[k]) return x[k] < y[k] ? -1 : 1;
      return 0;
    });
    const table = rows.map((r) => fields.map((f) => r[f] ?? ''));
    if (headings) table.unshift(fields.map((f) => head[f]));
    // NOTE: a column is never narrower than its heading, printed or not (libdevmapper report.c
    // sets each field's initial width from its heading).
    const w = fields.map((f, i) => Math.max(head[f].length, ...table.map((r) => r[i].length)));
    // NOTE: libdevmapper report.c _output_as_columns(): every field padded to its column's width
    // (the last one too), sizes and counts aligned right (DM_REPORT_FIELD_ALIGN_RIGHT).
    const right = new Set([
      'pv_size',
      'pv_free',
      'pv_used',
      'vg_size',
      'vg_free',
      'lv_size',
      'pv_count',
      'lv_count',
      'snap_count',
    ]);
    for (const r of table)
      ctx.out('  ' + r.map((x, i) => (right.has(fields[i]) ? x.padStart(w[i]) : x.padEnd(w[i]))).join(' ') + '\n');
    return 0;
  };
}

function vgdisplay(ctx: CmdCtx): number {
  const l = lockOr(ctx);
  if (!l.ok) return 5;
  const names = ctx.argv.slice(1).filter((x) => !x.startsWith('-'));
  const all = visibleVgs(ctx, l.local).filter((v) => !names.length || names.includes(v.meta.name));
  if (!all.length) {
    ctx.out('  No volume groups found\n');
    return names.length ? 5 : 0;
  }
  for (const v of all) {
    const m = v.meta;
    const alloc = m.lvs.reduce((a, x) => a + x.extents, 0);
    const open = openLvs(ctx.node, v);
    ctx.out(
      [
        '  --- Volume group ---',
        `  VG Name               ${m.name}`,
        '  System ID             ',
        '  Format                lvm2',
        '  Metadata Areas        1',
        `  Metadata Sequence No  ${m.seqno}`,
        '  VG Access             read/write',
        '  VG Status             resizable',
        ...(m.clustered ? ['  Clustered             yes', '  Shared                no'] : []),
        '  MAX LV                0',
        `  Cur LV                ${m.lvs.length}`,
        `  Open LV               ${open}`,
        '  Max PV                0',
        '  Cur PV                1',
        '  Act PV                1',
        `  VG Size               ${size(m.extents * EXTENT_KIB)}`,
        `  PE Size               ${size(EXTENT_KIB)}`,
        `  Total PE              ${m.extents}`,
        `  Alloc PE / Size       ${alloc} / ${size(alloc * EXTENT_KIB)}`,
        `  Free  PE / Size       ${m.extents - alloc} / ${size((m.extents - alloc) * EXTENT_KIB)}`,
        `  VG UUID               ${m.uuid.slice(0, 6)}-${m.uuid.slice(6, 10)}-${m.uuid.slice(10, 14)}-${m.uuid.slice(14, 18)}-${m.uuid.slice(18, 22)}-${m.uuid.slice(22, 26)}-${m.uuid.slice(26, 32)}`,
        '   ',
        '',
      ].join('\n'),
    );
  }
  return 0;
}

/** LVs of a VG open on a node (lvm2 2.02.98 lib/activate/activate.c `lvs_in_vg_opened()`). */
function openLvs(node: LabNode, v: Vg): number {
  return v.meta.lvs.filter((lv) => lvOpenCount(node, `${v.meta.name}/${lv.name}`) > 0).length;
}

function vgchange(ctx: CmdCtx): number {
  const a = ctx.argv.slice(1);
  let act: string | undefined;
  let cl: string | undefined;
  const names: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-a' || a[i] === '--available') act = a[++i];
    else if (/^-a[a-z]+$/.test(a[i])) act = a[i].slice(2);
    else if (a[i] === '-c' || a[i] === '--clustered') cl = a[++i];
    else if (!a[i].startsWith('-')) names.push(a[i]);
  }
  const l = lockOr(ctx);
  if (!l.ok) return 5;
  const all = visibleVgs(ctx, l.local).filter((v) => !names.length || names.includes(v.meta.name));
  if (!all.length) {
    ctx.out('  No volume groups found\n');
    return names.length ? 5 : 0;
  }
  let code = 0;
  for (const v of all) {
    if (cl) {
      writePv(ctx.node, v.pv, 4, (d) => {
        d.vg!.clustered = cl.startsWith('y');
      });
      ctx.out(`  Volume group "${v.meta.name}" successfully changed\n`);
    }
    if (act) {
      const on = act.startsWith('y') || act === 'ly' || act === 'ey';
      const local = act.startsWith('l') || !v.meta.clustered;
      const nodes = local ? [ctx.node] : clusterNodes(ctx.node, v.meta.name);
      if (!on) {
        // NOTE: lvm2 2.02.98 tools/vgchange.c `vgchange_activate()`: with any LV of the VG open on this
        // node it refuses the whole VG before touching one LV ("FIXME: Force argument to deactivate them?").
        const open = openLvs(ctx.node, v);
        if (open) {
          ctx.err(`  Can't deactivate volume group "${v.meta.name}" with ${open} open logical volume(s)\n`);
          code = 5;
          continue;
        }
      }
      let activeCount = 0;
      for (const n of nodes) {
        let busy = false;
        for (const lv of v.meta.lvs) {
          if (on) activate(n, v.meta.name, lv.name);
          else if (!deactivate(n, `${v.meta.name}/${lv.name}`)) busy = true;
        }
        // NOTE: an LV open on another node stays active there; clvmd answers with the errno
        // (lvm2 2.02.98 lib/locking/cluster_locking.c `_lock_for_cluster()`: "Error locking on node %s: %s").
        if (busy) {
          ctx.err(`  Error locking on node ${n.fqdn}: Device or resource busy\n`);
          code = 5;
        }
      }
      activeCount = v.meta.lvs.filter((x) =>
        st(ctx.node).of(ctx.node).active.includes(`${v.meta.name}/${x.name}`),
      ).length;
      ctx.out(`  ${activeCount} logical volume(s) in volume group "${v.meta.name}" now active\n`);
    }
  }
  ctx.node.world.changed();
  return code;
}

// ---------- clvmd ----------

function clusteredVgs(node: LabNode): Vg[] {
  return vgs(node)
    .filter((v) => v.meta.clustered)
    .reverse();
}

function clvmdStart(node: LabNode): ActionResult {
  if (node.isRunning('clvmd')) return { code: 0, out: statusLine('Starting clvmd: ', true) };
  const cv = clusterView(worldOf(node));
  if (!cv || !cv.isMember(node.name) || !cv.quorate(node.name)) {
    node.log('clvmd', 'Unable to create DLM lockspace for CLVM: Transport endpoint is not connected');
    return {
      code: 1,
      out:
        'Starting clvmd: \nclvmd could not connect to cluster manager\nConsult syslog for more information\n' +
        statusLine('', false),
    };
  }
  node.markRunning('clvmd');
  node.log('clvmd', 'Cluster LVM daemon started - connected to CMAN');
  const vgList = clusteredVgs(node);
  let act = '';
  if (!vgList.length) act = '  No volume groups found\n';
  for (const v of vgList) {
    for (const lv of v.meta.lvs) activate(node, v.meta.name, lv.name);
    act += `  ${v.meta.lvs.length} logical volume(s) in volume group "${v.meta.name}" now active\n`;
  }
  worldOf(node).changed();
  return { code: 0, out: 'Starting clvmd: \n' + statusLine(`Activating VG(s): ${act}`, true) };
}

function clvmdStop(node: LabNode): ActionResult {
  if (!node.isRunning('clvmd')) return { code: 0, out: '' };
  const vgList = clusteredVgs(node);
  let out = '';
  if (vgList.length) {
    let text = '';
    let ok = true;
    for (const v of vgList) {
      // NOTE: the init script's `vgchange -anl` refuses a VG with open LVs as a whole (see vgchange).
      const n = openLvs(node, v);
      if (!n) for (const lv of v.meta.lvs) deactivate(node, `${v.meta.name}/${lv.name}`);
      if (n) {
        ok = false;
        text += `  Can't deactivate volume group "${v.meta.name}" with ${n} open logical volume(s)\n`;
      } else text += `  0 logical volume(s) in volume group "${v.meta.name}" now active\n`;
    }
    out += statusLine(`Deactivating clustered VG(s): ${text}`, ok);
    if (!ok) return { code: 1, out };
  }
  node.markStopped('clvmd');
  worldOf(node).changed();
  return { code: 0, out: out + statusLine('Signaling clvmd to exit', true) + statusLine('clvmd terminated', true) };
}

function clvmdStatus(node: LabNode): ActionResult {
  const pid = node.pidOf('clvmd');
  if (!pid) return { code: 3, out: 'clvmd is stopped\n' };
  const vgList = clusteredVgs(node);
  const active = st(node)
    .of(node)
    .active.filter((a) => a && vgList.some((v) => v.meta.name === a.split('/')[0]));
  return {
    code: 0,
    out: `clvmd (pid  ${pid}) is running...\nClustered Volume Groups: ${vgList.map((v) => v.meta.name).join(' ') || '(none)'}\nActive clustered Logical Volumes: ${active.map((a) => `/dev/${a}`).join(' ') || '(none)'}\n`,
  };
}

/** @internal for tests: the VG names a node sees. */
export function vgNames(node: LabNode): string[] {
  return vgs(node).map((v) => v.meta.name);
}

/** The programs of this module, by implementation name. */
export const LVM_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  pvcreate,
  vgcreate,
  lvcreate,
  pvscan,
  vgscan,
  lvscan,
  vgdisplay,
  vgchange,
  pvs: report('pv'),
  vgs: report('vg'),
  lvs: report('lv'),
  lvm: (ctx) => {
    const sub = ctx.argv[1];
    const fn = sub
      ? ({ pvcreate, vgcreate, lvcreate, pvscan, vgscan, lvscan, vgdisplay, vgchange } as Record<string, CommandFn>)[
          sub
        ]
      : undefined;
    if (!fn) {
      ctx.err(`  No such command '${sub ?? ''}'.  Try 'help'.\n`);
      return 3;
    }
    return fn({ ...ctx, argv: ctx.argv.slice(1) });
  },
};

/** The init scripts of this module. */
export const LVM_SERVICES: readonly ServiceDef[] = [
  {
    name: 'clvmd',
    header: { levels: '', start: 24, stop: 76 },
    description: 'Cluster daemon for userland logical volume management tools.',
    usage: 'start|stop|status|restart|condrestart|try-restart|reload|force-reload',
    start: (node) => clvmdStart(node),
    stop: (node) => clvmdStop(node),
    status: (node) => clvmdStatus(node),
  },
];
