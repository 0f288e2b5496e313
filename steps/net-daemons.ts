/**
 * Switch network daemons: NetworkManager makes decisions for you and changes the network as it
 * sees fit; servers use the traditional `network` service.
 */
import type { Step } from '../src/engine/types.js';
import { VerifyFailed } from '../src/errors.js';
import { parseChkconfig, isOnAtBoot, onLevels } from '../src/verify/chkconfig.js';

export const netDaemons: Step = {
  id: 'net-daemons',
  perNode: true,
  title: 'Switch network daemons',
  ifSkipped:
    "NetworkManager stays and the network service is off at boot: the bonds are undone at the next reboot and the network step's checks may fail",
  doc:
    'The new NetworkManager daemon is much more flexible and is perfect for machines like laptops which move around ' +
    'networks a lot. However, it does this by making a lot of decisions for you and changing the network as it sees ' +
    "fit. As good as this is for laptops and the like, it's not appropriate for servers. We will want to use the " +
    'traditional network service.',
  tasks: [
    {
      id: 'net-daemons.remove-nm',
      title: 'Remove NetworkManager',
      on: 'both',
      kind: 'safe',
      // NOTE: -y because nobody is at the node's terminal; yum exits 0 with "No Packages marked for removal" when absent.
      commands: () => ['yum remove -y NetworkManager'],
      expect: () => ['rpm -q NetworkManager: package NetworkManager is not installed'],
      async verify(ctx) {
        const r = await ctx.node.exec('rpm -q NetworkManager');
        const out = (r.stdout + r.stderr).trim();
        if (r.code === 0 || !/is not installed/.test(out))
          throw new VerifyFailed(
            'net-daemons.remove-nm',
            ctx.node.plan.name,
            'NetworkManager not installed',
            out || `rpm -q exit ${r.code}`,
          );
        return { summary: 'NetworkManager not installed' };
      },
    },
    {
      id: 'net-daemons.network-on',
      title: 'Enable the network service at boot',
      on: 'both',
      kind: 'safe',
      commands: () => ['chkconfig network on', 'chkconfig --list network'],
      expect: () => ['chkconfig --list network shows 2:on 3:on 4:on 5:on'],
      expectedOutput: () => 'network        \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off',
      async verify(ctx) {
        const r = await ctx.node.exec('chkconfig --list network');
        const list = parseChkconfig(r.stdout);
        if (!isOnAtBoot(list, 'network'))
          throw new VerifyFailed(
            'net-daemons.network-on',
            ctx.node.plan.name,
            'network on in runlevels 2,3,4,5',
            list.has('network')
              ? `on in runlevels ${onLevels(list, 'network') || 'none'}`
              : (r.stdout + r.stderr).trim() || 'no network service listed',
          );
        return { summary: `network on in runlevels ${onLevels(list, 'network')}` };
      },
    },
  ],
};
