/**
 * Fast tier: the rendered DRBD configuration through DRBD's own 8.3 parser (Debian drbd-utils'
 * `/lib/drbd/drbdadm-83`), on each node as that node (a throw-away UTS + network namespace whose
 * hostname is the node's FQDN and whose `lo` holds its SN address, so 8.3's "this host" checks pass;
 * nothing leaves the namespace). The drbd-config step's own verify runs `drbdadm dump` there; the
 * dump equals the tool's own prediction (`expectedDump`) and the lab's; `-d` (dry run) shows the
 * drbdmeta/drbdsetup calls that create-md, up, attach, connect and primary make, with the plan's minors,
 * disks, addresses and options.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type PlanNode } from '../../src/plan/derive.js';
import { renderFile } from '../../src/engine/render.js';
import type { ExecResult, NodeHandle, TaskContext } from '../../src/engine/types.js';
import { drbdConfig, drbdFiles, expectedDump } from '../../steps/drbd-config.js';
import { createWorld } from '../../src/lab/world.js';
import { installFiles, PACKAGES } from '../../src/lab/node/packages.js';
import { cleanup, hasProgram, run, scratch } from './helpers/netns.js';

const DRBDADM = '/lib/drbd/drbdadm-83';
const skip =
  process.getuid?.() !== 0
    ? 'needs root (unshare of UTS and network namespaces)'
    : !hasProgram(DRBDADM)
      ? `${DRBDADM} not found (apt-get install drbd-utils)`
      : !hasProgram('unshare')
        ? 'unshare not found'
        : null;
if (skip) console.log(`[skip] real drbdadm-83 on the rendered DRBD config: ${skip}`);

const plan = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
/** EL6's /etc/drbd.conf (drbd83-utils), with the include paths made absolute to the test's folder. */
const drbdConf = (dir: string) => `include "${dir}/drbd.d/global_common.conf";\ninclude "${dir}/drbd.d/*.res";\n`;

/** A node handle whose `drbdadm` is the real 8.3 drbdadm on the rendered files, as node `n`. */
function drbdHandle(dir: string, n: PlanNode): NodeHandle {
  const exec = async (cmd: string): Promise<ExecResult> => {
    const r = await run([
      'unshare',
      '-u',
      '-n',
      'sh',
      '-c',
      'ip link set lo up && ip addr add "$1/32" dev lo && hostname "$2" || exit 99; PATH="$3:$PATH"; exec sh -c "$4"',
      'sh',
      n.sn,
      n.fqdn,
      join(dir, 'bin'),
      cmd,
    ]);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: r.ms };
  };
  return {
    plan: n,
    exec,
    sh: async (cmd) => (await exec(cmd)).stdout,
    readFile: () => Promise.reject(new Error('not used')),
    writeFile: () => Promise.reject(new Error('not used')),
  };
}

/** A lab node with drbd83-utils laid down (its stock /etc/drbd.conf) and the rendered files written. */
function labNode(n: PlanNode) {
  const lab = createWorld({ seed: 7 }).nodes[n.name];
  installFiles(lab, PACKAGES['drbd83-utils']);
  for (const f of drbdFiles(plan)) lab.fs.writeFile(f.path, renderFile(f, plan, n));
  return lab;
}

function ctxOf(node: NodeHandle): TaskContext {
  return {
    plan,
    node,
    peer: node,
    prompt: {
      confirm: () => Promise.reject(new Error('no prompt')),
      input: () => Promise.reject(new Error('no prompt')),
      select: () => Promise.reject(new Error('no prompt')),
    },
    log: () => undefined,
    capture: () => undefined,
    captured: () => undefined,
  };
}

describe.skipIf(skip)('the rendered DRBD config through drbdadm-83', () => {
  const dirs = new Map<string, string>();
  const setup = (n: PlanNode): string => {
    if (dirs.has(n.name)) return dirs.get(n.name)!;
    const dir = scratch(`drbd-${n.name}`);
    mkdirSync(join(dir, 'drbd.d'));
    mkdirSync(join(dir, 'bin'));
    for (const f of drbdFiles(plan)) writeFileSync(join(dir, f.path.replace(/^\/etc/, '')), renderFile(f, plan, n));
    writeFileSync(join(dir, 'drbd.conf'), drbdConf(dir));
    writeFileSync(join(dir, 'bin', 'drbdadm'), `#!/bin/sh\nexec ${DRBDADM} -c ${dir}/drbd.conf "$@"\n`, {
      mode: 0o755,
    });
    dirs.set(n.name, dir);
    return dir;
  };
  afterAll(async () => {
    await cleanup();
  });

  it.each(plan.nodes.map((n) => [n.name, n] as const))(
    '%s: drbdadm dump parses it, the step’s verify passes, the dump is the tool’s and the lab’s',
    async (_name, n) => {
      const h = drbdHandle(setup(n), n);
      const files = drbdConfig.tasks.find((t) => t.id === 'drbd-config.files')!;
      const ev = await files.verify!(ctxOf(h));
      expect(ev.summary).toBe('drbdadm dump: r0, r1, r2 parsed');
      const real = await h.exec('drbdadm dump');
      expect(real.code).toBe(0);
      const body = (s: string) => s.replace(/^# \S+\n/, '');
      // NOTE: the real dump ends with a blank line; the tool's prediction (shown in the runbook) does not.
      expect(body(real.stdout).trimEnd()).toBe(body(expectedDump(plan, n)).trimEnd());

      const lab = labNode(n);
      const l = await lab.exec('drbdadm dump');
      expect(l.code).toBe(0);
      expect(body(l.stdout)).toBe(body(real.stdout));
    },
  );

  it('dry runs: create-md, up, attach, connect and primary call drbdmeta/drbdsetup with the plan’s values', async () => {
    const n = plan.nodes[0];
    const peer = plan.nodes[1];
    const h = drbdHandle(setup(n), n);
    for (const r of plan.resources) {
      const md = await h.exec(`drbdadm -d create-md ${r.name}`);
      expect(md.code).toBe(0);
      expect(md.stdout.trim()).toBe(`/lib/drbd/drbdmeta ${r.minor} v08 ${r.partition} internal create-md`);
      const up = await h.exec(`drbdadm -d up ${r.name}`);
      expect(up.code).toBe(0);
      const lines = up.stdout.trim().split('\n');
      expect(lines[0]).toBe(
        `/lib/drbd/drbdsetup-83 ${r.minor} disk ${r.partition} ${r.partition} internal --set-defaults --create-device --fencing=resource-and-stonith`,
      );
      expect(lines[2]).toBe(
        `/lib/drbd/drbdsetup-83 ${r.minor} net ipv4:${n.sn}:${r.port} ipv4:${peer.sn}:${r.port} C --set-defaults --create-device --after-sb-2pri=disconnect --after-sb-1pri=discard-secondary --after-sb-0pri=discard-zero-changes --allow-two-primaries`,
      );
      const att = await h.exec(`drbdadm -d attach ${r.name}`);
      expect(att.stdout.trim()).toBe(lines[0]);
      const con = await h.exec(`drbdadm -d connect ${r.name}`);
      expect(con.stdout.trim()).toBe(lines[2]);
      const pri = await h.exec(`drbdadm -d primary ${r.name}`);
      expect(pri.stdout.trim()).toBe(`/lib/drbd/drbdsetup-83 ${r.minor} primary`);
    }
  });

  it('a resource the config does not define is refused by the real parser (exit 1) with the lab’s words', async () => {
    const n = plan.nodes[0];
    const h = drbdHandle(setup(n), n);
    const real = await h.exec('drbdadm dump r9');
    const lab = labNode(n);
    const l = await lab.exec('drbdadm dump r9');
    // NOTE: same words; the exit code differs (real 1, lab 10): recorded in src/lab/FIDELITY.md ("What the real programs said").
    expect(real.code).toBe(1);
    expect(l.code).not.toBe(0);
    expect(l.stderr.trim()).toBe(real.stderr.trim());
  });
});
