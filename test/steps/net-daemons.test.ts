import { describe, expect, it } from 'vitest';
import { netDaemons } from '../../steps/net-daemons.js';
import { FakeNode, fakeContext } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';

const task = (id: string) => netDaemons.tasks.find((t) => t.id === id)!;
const p = tutorialPlan();
const n1 = p.nodes[0];

describe('net-daemons', () => {
  it('NetworkManager: passes when rpm says not installed, fails when it is', async () => {
    const f = new FakeNode(n1).on('rpm -q NetworkManager', {
      code: 1,
      stdout: 'package NetworkManager is not installed\n',
    });
    expect((await task('net-daemons.remove-nm').verify!(fakeContext(p, f, f))).summary).toBe(
      'NetworkManager not installed',
    );
    f.on('rpm -q NetworkManager', 'NetworkManager-0.8.1-9.el6.x86_64\n');
    await expect(task('net-daemons.remove-nm').verify!(fakeContext(p, f, f))).rejects.toThrow(
      'saw NetworkManager-0.8.1-9.el6.x86_64',
    );
  });

  it("network on: the tutorial's chkconfig --list output passes; off at boot fails", async () => {
    const t = task('net-daemons.network-on');
    const f = new FakeNode(n1).on('chkconfig --list network', t.expectedOutput!(p, n1) + '\n');
    expect(t.expectedOutput!(p, n1)).toBe('network        \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off');
    expect((await t.verify!(fakeContext(p, f, f))).summary).toBe('network on in runlevels 2,3,4,5');
    f.on('chkconfig --list network', 'network        \t0:off\t1:off\t2:off\t3:on\t4:off\t5:on\t6:off\n');
    await expect(t.verify!(fakeContext(p, f, f))).rejects.toThrow('saw on in runlevels 3,5');
  });
});
