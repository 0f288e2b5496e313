/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const drbdConfig: Step = { id: 'drbd-config', title: 'drbd-config (not yet declared)', doc: '', tasks: [] };
