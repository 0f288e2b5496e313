import { describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type Plan } from '../../src/plan/derive.js';
import { contentOf } from '../../src/engine/walk.js';
import { vmProvision } from '../../steps/vm-provision.js';

const tutorial = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
const other = derivePlan(loadAnswers('test/fixtures/other.anvil.yaml', { ILO_PW: 'ilo-secret', RICCI_PW: 'ricci-secret' }));
const scripts = vmProvision.tasks.find((t) => t.id === 'vm-provision.scripts')!;

const norm = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .join('\n');

/** Every provision script a node writes: path -> content. */
function written(p: Plan): Map<string, Map<string, string>> {
  return new Map(p.nodes.map((n) => [n.name, new Map((scripts.files!(p, n) ?? []).map((f) => [f.path, contentOf(f, p, n)]))]));
}

/** The argv virt-install would get: the script run by bash with a virt-install stub that prints its arguments. */
function argv(script: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'anvil-vi-'));
  try {
    writeFileSync(join(dir, 'virt-install'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n');
    chmodSync(join(dir, 'virt-install'), 0o755);
    writeFileSync(join(dir, 'provision.sh'), script);
    const r = spawnSync('bash', [join(dir, 'provision.sh')], { encoding: 'utf8', env: { PATH: `${dir}:/usr/bin:/bin` } });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('provision scripts, golden against the tutorial', () => {
  const files = written(tutorial);
  const cases: [string, string][] = [
    ['an-node01', 'vm0001-dev'],
    ['an-node01', 'vm0002-web'],
    ['an-node02', 'vm0003-db'],
    ['an-node02', 'vm0004-ms'],
  ];
  for (const [node, vm] of cases)
    it(`${node} writes /shared/provision/${vm}.sh as the tutorial lists it`, () => {
      const path = `/shared/provision/${vm}.sh`;
      const got = files.get(node)!.get(path);
      expect(got, `${node} must write ${path}`).toBeDefined();
      expect(norm(got!)).toBe(norm(readFileSync(`test/fixtures/tutorial/${node}${path}`, 'utf8')));
      expect(got).not.toMatch(/\t/); // "Don't use tabs to indent the lines."
    });

  it('each node writes only the scripts of its own VMs, mode 0755', () => {
    expect([...files.get('an-node01')!.keys()]).toEqual(['/shared/provision/vm0001-dev.sh', '/shared/provision/vm0002-web.sh']);
    expect([...files.get('an-node02')!.keys()]).toEqual(['/shared/provision/vm0003-db.sh', '/shared/provision/vm0004-ms.sh']);
    expect(scripts.files!(tutorial, tutorial.nodes[0]).every((f) => f.mode === 0o755)).toBe(true);
  });

  it('bash gives virt-install the arguments the tutorial means', () => {
    const dev = argv(files.get('an-node01')!.get('/shared/provision/vm0001-dev.sh')!);
    expect(dev).toEqual([
      '--connect', 'qemu:///system', '--name', 'vm0001-dev', '--ram', '1024', '--arch', 'x86_64', '--vcpus', '1',
      '--location', 'http://10.255.255.254/c6/x86_64/img/', '--extra-args', 'ks=http://10.255.255.254/c6/x86_64/ks/c6_minimal.ks',
      '--os-type', 'linux', '--os-variant', 'rhel6', '--disk', 'path=/dev/an01-vg0/vm0001-1', '--network', 'bridge=vbr2', '--vnc',
    ]);
    const ms = argv(files.get('an-node02')!.get('/shared/provision/vm0004-ms.sh')!);
    expect(ms.slice(10)).toEqual([
      '--cdrom', '/shared/files/Windows_Server_2008_R2_64Bit_SP1.iso',
      '--disk', 'path=/dev/an02-vg0/vm0004-1,device=disk,bus=virtio',
      '--disk', 'path=/shared/files/virtio-win-1.1.16.vfd,device=floppy',
      '--os-type', 'windows', '--os-variant', 'win2k8', '--network', 'bridge=vbr2', '--vnc',
    ]);
  });
});

describe('provision scripts of the second cluster (structure)', () => {
  const files = written(other);
  it('puts each script under its mount point, written by its host node', () => {
    expect([...files.get('kvm-a')!.keys()]).toEqual(['/cluster/provision/win-app.sh']);
    expect([...files.get('kvm-b')!.keys()]).toEqual(['/cluster/provision/mail01.sh']);
  });

  it('quotes a kickstart line with a space as one argument and uses its own bridge and VGs', () => {
    const mail = files.get('kvm-b')!.get('/cluster/provision/mail01.sh')!;
    expect(mail).toContain('--extra-args "ks=http://10.1.0.5/ks/mail.ks console=ttyS0" \\');
    const a = argv(mail);
    expect(a[a.indexOf('--extra-args') + 1]).toBe('ks=http://10.1.0.5/ks/mail.ks console=ttyS0');
    expect(a[a.indexOf('--disk') + 1]).toBe('path=/dev/kb-vg0/mail01-disk');
    expect(a[a.indexOf('--network') + 1]).toBe('bridge=br-ifn');
    expect(a[a.indexOf('--ram') + 1]).toBe('2048');
    const win = argv(files.get('kvm-a')!.get('/cluster/provision/win-app.sh')!);
    expect(win).toContain('path=/dev/ka-vg0/winapp-disk,device=disk,bus=virtio');
    expect(win).toContain('path=/cluster/iso/virtio-win.vfd,device=floppy');
    expect(win[win.indexOf('--cdrom') + 1]).toBe('/cluster/iso/win2008r2.iso');
  });

  it('uses a driver ISO as a second cdrom (the tutorial note) and quotes odd values', () => {
    const p = derivePlan(loadAnswers('test/fixtures/other.anvil.yaml', { ILO_PW: 'ilo-secret', RICCI_PW: 'ricci-secret' }));
    p.vms[1].install.floppy = '/cluster/iso/virtio-win-0.1-30.iso';
    p.vms[0].install.extraArgs = 'ks=http://h/$x "q"';
    const f = written(p);
    expect(argv(f.get('kvm-a')!.get('/cluster/provision/win-app.sh')!)).toContain('path=/cluster/iso/virtio-win-0.1-30.iso,device=cdrom');
    const a = argv(f.get('kvm-b')!.get('/cluster/provision/mail01.sh')!);
    expect(a[a.indexOf('--extra-args') + 1]).toBe('ks=http://h/$x "q"');
  });
});
