/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const drbdPartitions: Step = { id: 'drbd-partitions', title: 'drbd-partitions (not yet declared)', doc: '', tasks: [] };
