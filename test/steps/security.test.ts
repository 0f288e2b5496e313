import { describe, expect, it } from 'vitest';
import { security, setSelinux, selinuxValue } from '../../steps/security.js';
import { renderTemplate } from '../../src/engine/render.js';
import { FakeNode, fakeContext, runTask } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';

const task = (id: string) => security.tasks.find((t) => t.id === id)!;
const p = tutorialPlan();
const n1 = p.nodes[0];
const OFF = (s: string) => `${s.padEnd(15)}\t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n`;
const ON = (s: string) => `${s.padEnd(15)}\t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n`;

describe('security.firewall', () => {
  it("runs the tutorial's commands and verifies chkconfig shows them off", async () => {
    expect(task('security.firewall').commands!(p, n1)).toEqual([
      'chkconfig iptables off',
      'chkconfig ip6tables off',
      '/etc/init.d/iptables stop',
      '/etc/init.d/ip6tables stop',
    ]);
    const f = new FakeNode(n1)
      .on('chkconfig --list iptables', OFF('iptables'))
      .on('chkconfig --list ip6tables', ON('ip6tables'));
    await expect(task('security.firewall').verify!(fakeContext(p, f, f))).rejects.toThrow(
      'expected ip6tables off in every runlevel; saw ip6tables on in runlevels 2,3,4,5',
    );
    f.on('chkconfig --list ip6tables', OFF('ip6tables'));
    expect((await task('security.firewall').verify!(fakeContext(p, f, f))).summary).toBe('iptables off, ip6tables off');
  });

  it('leaves the firewall alone when the answers keep it enabled', () => {
    const q = tutorialPlan();
    q.answers.security.firewall = 'enabled';
    expect(task('security.firewall').commands!(q, q.nodes[0])).toEqual([]);
  });
});

describe('security.selinux', () => {
  const stock = renderTemplate('etc/selinux/config.ejs', {});

  it("changes only the SELINUX= line of the stock file, idempotently (the tutorial's diff)", () => {
    const edit = setSelinux('disabled');
    const out = edit(stock);
    expect(edit(out)).toBe(out);
    const diff = stock
      .split('\n')
      .map((l, i) => [l, out.split('\n')[i]])
      .filter(([a, b]) => a !== b);
    expect(diff).toEqual([['SELINUX=enforcing', 'SELINUX=disabled']]);
    expect(stock.split('\n')[6]).toBe('SELINUX=enforcing'); // line 7, inside the tutorial's "@@ -4,7 +4,7 @@" hunk
    expect(setSelinux('permissive')('# empty')).toBe('# empty\nSELINUX=permissive\n');
  });

  it('writes with a .orig backup (cp config config.orig) and verifies the value', async () => {
    const f = new FakeNode(n1, { '/etc/selinux/config': stock }).on('getenforce', 'Enforcing\n');
    const ctx = fakeContext(p, f, f);
    await runTask(task('security.selinux'), ctx);
    expect(f.files.get('/etc/selinux/config.orig')).toBe(stock);
    expect(selinuxValue(f.files.get('/etc/selinux/config')!)).toBe('disabled');
    expect(ctx.logs.join()).toContain('reboot');
    expect((await task('security.selinux').verify!(ctx)).summary).toBe('SELINUX=disabled (effective after reboot)');
    f.files.set('/etc/selinux/config', stock);
    await expect(task('security.selinux').verify!(ctx)).rejects.toThrow(
      'expected SELINUX=disabled in /etc/selinux/config; saw SELINUX=enforcing',
    );
  });

  it('leaves the reboot to do, settled once the node runs with SELinux disabled (a later reboot or power cycle)', async () => {
    const f = new FakeNode(n1, { '/etc/selinux/config': stock }).on('getenforce', 'Enforcing\n');
    const items: { text: string; settled?: () => Promise<boolean> }[] = [];
    const ctx = {
      ...fakeContext(p, f, f),
      todo: (text: string, settled?: () => Promise<boolean>) => void items.push({ text, settled }),
    };
    await runTask(task('security.selinux'), ctx);
    expect(items.map((i) => i.text)).toEqual([
      `${n1.name}: SELinux is enforcing now; reboot for SELINUX=disabled to take effect`,
    ]);
    expect(await items[0].settled!()).toBe(false);
    f.on('getenforce', 'Disabled\n');
    expect(await items[0].settled!()).toBe(true);
  });
});
