/**
 * `/etc/init.d/rgmanager` (EL6): start launches the daemon (it needs cman) and returns at once, the
 * groups start in the background (tutorial 3109-3122); stop waits until every group the node owns is
 * stopped and the daemon has exited (tutorial 4254-4255, 5285 "can take a minute or two"); status is
 * the usual `rgmanager (pid  N) is running...`. A world given it after the base system runs it in
 * place of the generic catalogue entry of src/lab/node/services.ts.
 */
import { statusLine } from '../../node/rc.js';
import { clusterView } from '../view.js';
import { rgmanager } from './model.js';
import { worldOf } from '../../world/world.js';
import type { ServiceDef } from '../../node/services.js';

const START = 'Starting Cluster Service Manager: ';
const STOP = 'Stopping Cluster Service Manager: ';

/** The init scripts of this module. */
export const RGMANAGER_SERVICES: readonly ServiceDef[] = [
  {
    name: 'rgmanager',
    header: { levels: '', start: 26, stop: 74 },
    description: 'Starts and stops Red Hat Service (resource group) Manager',
    startMsg: START,
    stopMsg: STOP,
    start: (node) => {
      const w = worldOf(node);
      const rg = rgmanager(w);
      const v = clusterView(w);
      // NOTE: rgmanager needs cman (it waits for quorum itself, so a cman still joining is enough).
      if (!rg || !v || !node.isRunning('cman')) return { code: 1, out: statusLine(START, false) };
      const r = rg.start(node.name);
      return { code: r.ok ? 0 : 1, out: statusLine(START, r.ok) };
    },
    stop: async (node) => {
      const rg = rgmanager(worldOf(node));
      if (!rg?.daemon(node.name)) {
        if (node.isRunning('rgmanager')) node.markStopped('rgmanager');
        return { code: 0, out: statusLine(STOP, true) };
      }
      await rg.stop(node.name);
      return { code: 0, out: statusLine(STOP, true) };
    },
  },
];
