/**
 * The virt subsystem of the lab: libvirt domains on each node (definitions, running instances,
 * installs, migration, double starts), virsh's domain subcommands and virt-install, given to a world
 * as the value `virt` (its programs, the libvirt-guests script, timers and world state, key `virt`).
 *
 * For the rest of the lab (rgmanager's `vm:` services): `virtModel(world)` gives the `VirtModel`
 * with `startDomain`, `createDomain`, `shutdownDomain`, `destroyDomain`, `migrateDomain`,
 * `isRunning`, `runningOn`, `state` and `doubleStarts`; a node that powers off or crashes loses its
 * guests.
 */
import { SERVICES, type ServiceDef } from '../node/services.js';
import { VirtModel, VIRT_TIMERS, type VirtSaved } from './model.js';
import { VIRSH_DOMAIN } from './virsh-domain.js';
import { VIRSH, virshWith } from '../commands/virsh.js';
import { VIRT_INSTALL_COMMANDS } from './virt-install.js';
import { brctl } from './brctl.js';
import { worldOf, type LabSubsystem } from '../world/world.js';

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

const libvirtGuests: ServiceDef = {
  ...SERVICES['libvirt-guests'],
  // NOTE: libvirt-guests (libvirt 0.10.2 tools/libvirt-guests.init.sh, ON_SHUTDOWN=suspend by default)
  // suspends every running guest with `virsh managedsave` on stop. The lab has no managed save: a stop
  // that would suspend a guest fails loudly instead of passing as if nothing ran.
  stop(node, generic) {
    const m = worldOf(node).sub<VirtModel>('virt');
    const running = node.isRunning('libvirtd') && m ? m.names(node.name).filter((n) => m.isRunning(node.name, n)) : [];
    if (!running.length) return generic();
    return {
      code: 1,
      out: `Running guests on default URI: ${running.join(', ')}\nlab: libvirt-guests would suspend them (virsh managedsave); the lab does not simulate a managed save\n`,
    };
  },
};

/** The virt subsystem: libvirt domains (world state `virt`), virsh with its domain subcommands, virt-install, brctl. */
export const virt: LabSubsystem = {
  name: 'virt',
  programs: { virsh: virshWith({ ...VIRSH, ...VIRSH_DOMAIN }), ...VIRT_INSTALL_COMMANDS, brctl },
  services: [libvirtGuests],
  timers: VIRT_TIMERS,
  state: { key: 'virt', create: (world, saved) => new VirtModel(world, saved as VirtSaved | undefined) },
};
