import { describe, expect, it } from 'vitest';
import { preflight } from '../../steps/preflight.js';
import { VerifyFailed } from '../../src/errors.js';
import { FakeNode, fakeContext } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';

const t = preflight.tasks[0];
const p = tutorialPlan();
const n1 = p.nodes[0];

function node(over: Record<string, string | { code: number; stdout?: string; stderr?: string }> = {}) {
  const f = new FakeNode(n1)
    .on('cat /etc/redhat-release', 'CentOS release 6.2 (Final)\n')
    .on('uname -n', 'an-node01.alteeve.ca\n')
    .on('id -u', '0\n')
    .on('test -b /dev/sda', '');
  for (const [k, v] of Object.entries(over)) f.on(k, v);
  return f;
}

describe('preflight.node', () => {
  it('passes on an EL6 node named by its FQDN, as root, with the disk', async () => {
    const f = node();
    expect((await t.verify!(fakeContext(p, f, f))).summary).toBe(
      'CentOS release 6.2 (Final); an-node01.alteeve.ca; root; /dev/sda present',
    );
    expect(t.commands!(p, n1)).toEqual([
      'cat /etc/redhat-release',
      'uname -n',
      'id -u',
      'test -b /dev/sda',
      'cat /proc/mounts /proc/swaps /etc/fstab',
    ]);
  });

  it.each([
    [{ 'cat /etc/redhat-release': 'CentOS Linux release 7.9.2009 (Core)\n' }, 'expected an EL6 release'],
    [{ 'cat /etc/redhat-release': { code: 1, stderr: 'No such file' } }, 'saw no /etc/redhat-release'],
    [
      { 'uname -n': 'localhost.localdomain\n' },
      'expected uname -n = an-node01.alteeve.ca (set HOSTNAME=an-node01.alteeve.ca in /etc/sysconfig/network',
    ],
    [{ 'id -u': '500\n' }, 'saw id -u = 500'],
    [{ 'test -b /dev/sda': { code: 1 } }, 'saw /dev/sda is not a block device'],
  ])('fails naming what is wrong (%o)', async (over, msg) => {
    const f = node(over);
    const err = await t.verify!(fakeContext(p, f, f)).catch((e) => e);
    expect(err).toBeInstanceOf(VerifyFailed);
    expect(err.message).toContain(msg);
  });

  it('warns about EL6.1 during the run', async () => {
    const f = node({ 'cat /etc/redhat-release': 'Red Hat Enterprise Linux Server release 6.1 (Santiago)\n' });
    const ctx = fakeContext(p, f, f);
    await t.run!(ctx);
    expect(ctx.logs.join('\n')).toMatch(/EL6\.1 has a corosync token retransmit bug/);
  });

  it('quotes the disk path from the answers', () => {
    const q = tutorialPlan();
    q.storage.disk = "/dev/sd a';reboot";
    expect(t.commands!(q, q.nodes[0])[3]).toBe("test -b '/dev/sd a'\\'';reboot'");
  });
});
