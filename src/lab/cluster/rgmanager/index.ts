/**
 * rgmanager in the lab: its model (world state `rgmanager`, the `rgmanager.tick` timer), the init
 * script, `clustat` and `clusvcadm`. Importing this module registers all of them.
 */
import { registerCommand } from '../../commands/index.js';
import { clustat } from './clustat.js';
import { clusvcadm } from './clusvcadm.js';
import './model.js';
import './service.js';

registerCommand('clustat', clustat);
registerCommand('clusvcadm', clusvcadm);

export { rgmanager, type Rgmanager, type RgClusterView, type GroupStatus, type GroupState } from './model.js';
export { parseRmConf, type RmConf, type Group, type Domain } from './conf.js';
