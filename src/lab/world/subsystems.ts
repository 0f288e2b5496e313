/**
 * The lab's subsystems (cluster, storage, virt): each keeps its own shared state in the world, saved
 * and restored with it, and hears about node power events. A subsystem registers itself when its
 * module loads (`registerSubsystem`); the world creates every registered one, so adding a subsystem
 * never means editing the world's serialization.
 */
import type { LabNode } from '../node/node.js';
import type { World } from './world.js';

/** How a node went down. */
export type NodeDownHow = 'poweroff' | 'crash';

/** One subsystem's live state in a world. */
export interface Subsystem {
  /** Plain-JSON state, handed back to `create` on restore. */
  toJSON(): unknown;
  /** The node is powering on: runtime state is reset, before its init scripts run. */
  nodeBoot?(node: LabNode): void;
  /** The node lost power or hung: it stops answering (its peers notice through their own timers). */
  nodeDown?(node: LabNode, how: NodeDownHow): void;
}

/** How a subsystem is built. */
export interface SubsystemDef {
  /** Key in the world (and in world.json). */
  key: string;
  /** Build the state for `world` (fresh when `saved` is undefined). Nodes already exist. */
  create(world: World, saved: unknown): Subsystem;
}

/** Registered subsystems in registration order. */
export const SUBSYSTEMS: SubsystemDef[] = [];

/** Add (or replace) a subsystem definition. */
export function registerSubsystem(def: SubsystemDef): void {
  const i = SUBSYSTEMS.findIndex((d) => d.key === def.key);
  if (i >= 0) SUBSYSTEMS[i] = def;
  else SUBSYSTEMS.push(def);
}
