/**
 * What the rest of the lab (storage: clvmd, DLM, GFS2, DRBD's fence handler) may ask the cluster
 * subsystem. The cluster subsystem keeps its state under the key `cluster` and implements this;
 * `clusterView(world)` finds it.
 */
import type { Subsystem } from '../world/world.js';

/** The cluster as seen from one node. */
export interface ClusterView extends Subsystem {
  /** cman runs on the node and it is a member of the cluster. */
  isMember(node: string): boolean;
  /** The node's partition has quorum (two_node: one member is enough). */
  quorate(node: string): boolean;
  /** The cluster name the node's cman runs with (undefined when cman is not running). */
  clusterName(node: string): string | undefined;
  /** Names (short) of the current members as the node sees them. */
  members(node: string): string[];
  /**
   * Fence `victim` through the cluster (what `fence_node` and DRBD's fence-peer handler do): resolves
   * true when a method succeeded (lab time passes meanwhile).
   */
  fenceNode(from: string, victim: string): Promise<boolean>;
  /**
   * Nodes (short names) the node's fenced is still fencing or has yet to fence: lost members whose
   * fence has not succeeded. DLM (and so clvmd and GFS2) blocks while this is not empty (tutorial 1741).
   */
  pendingFence?(node: string): string[];
}

/** The world's cluster subsystem, if this build has one. */
export function clusterView(world: { sub<T extends Subsystem>(key: string): T | undefined }): ClusterView | undefined {
  return world.sub<ClusterView>('cluster');
}
