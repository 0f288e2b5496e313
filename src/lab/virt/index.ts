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
import { registerSubsystem } from '../world/subsystems.js';
import { registerCommand } from '../commands/index.js';
import { SERVICES, registerService } from '../node/services.js';
import { VirtModel, type VirtSaved } from './model.js';
import { registerVirshDomainCommands } from './virsh-domain.js';
import { VIRT_INSTALL_COMMANDS } from './virt-install.js';
import { brctl } from './brctl.js';

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
registerCommand('brctl', brctl);

// NOTE: libvirt-guests (libvirt 0.10.2 tools/libvirt-guests.init.sh, ON_SHUTDOWN=suspend by default)
// suspends every running guest with `virsh managedsave` on stop. The lab has no managed save: a stop
// that would suspend a guest fails loudly instead of passing as if nothing ran.
registerService({
  ...SERVICES['libvirt-guests'],
  stop(node, generic) {
    const m = node.world.world().sub<VirtModel>('virt');
    const running = node.isRunning('libvirtd') && m ? m.names(node.name).filter((n) => m.isRunning(node.name, n)) : [];
    if (!running.length) return generic();
    return {
      code: 1,
      out: `Running guests on default URI: ${running.join(', ')}\nlab: libvirt-guests would suspend them (virsh managedsave); the lab does not simulate a managed save\n`,
    };
  },
});
