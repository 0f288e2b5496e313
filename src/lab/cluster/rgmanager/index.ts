/**
 * rgmanager in the lab, given to a world as the value `rgmanager`: its model (world state
 * `rgmanager`, the `rgmanager.tick` timer), the init script, `clustat` and `clusvcadm`.
 */
import type { LabSubsystem } from '../../world/world.js';
import { clustat } from './clustat.js';
import { clusvcadm } from './clusvcadm.js';
import { RGMANAGER_STATE, RGMANAGER_TIMERS } from './model.js';
import { RGMANAGER_SERVICES } from './service.js';

export type { Rgmanager, RgClusterView, GroupStatus, GroupState } from './model.js';
export { parseRmConf, type RmConf, type Group, type Domain } from './conf.js';

/** The rgmanager subsystem (it needs a `cluster` subsystem in the same world). */
export const rgmanager: LabSubsystem = {
  name: 'rgmanager',
  programs: { clustat, clusvcadm },
  services: RGMANAGER_SERVICES,
  timers: RGMANAGER_TIMERS,
  state: RGMANAGER_STATE,
};
