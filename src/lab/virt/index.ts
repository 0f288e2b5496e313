/**
 * The virt subsystem of the lab: libvirt domains on each node (definitions, running instances,
 * installs, migration, double starts), virsh's domain subcommands and virt-install. Importing this
 * module registers its commands, timers and world state (key `virt`).
 *
 * For the rest of the lab (rgmanager's `vm:` services): `virtModel(world)` gives the `VirtModel`
 * with `startDomain`, `createDomain`, `shutdownDomain`, `destroyDomain`, `migrateDomain`,
 * `isRunning`, `runningOn`, `state` and `doubleStarts`; a node that powers off or crashes loses its
 * guests.
 */
import { registerSubsystem } from '../subsystems.js';
import { registerCommand } from '../commands/index.js';
import { VirtModel, type VirtSaved } from './model.js';
import { registerVirshDomainCommands } from './virsh-domain.js';
import { VIRT_INSTALL_COMMANDS } from './virt-install.js';

export {
  VirtModel,
  VirtError,
  virtModel,
  NETWORK_INSTALL_MS,
  MEDIA_INSTALL_MS,
  MEDIA_STAGE2_MS,
  GUEST_SHUTDOWN_MS,
} from './model.js';
export type { VirtOpts, DoubleStart, DomainRecord, LiveDomain, DomState } from './model.js';
export { domainXml, parseDomainXml } from './domain.js';
export type { DomainDef } from './domain.js';

registerSubsystem({ key: 'virt', create: (world, saved) => new VirtModel(world, saved as VirtSaved | undefined) });
registerVirshDomainCommands();
for (const [name, fn] of Object.entries(VIRT_INSTALL_COMMANDS)) registerCommand(name, fn);
