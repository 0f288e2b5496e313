/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const vmProvision: Step = { id: 'vm-provision', title: 'vm-provision (not yet declared)', doc: '', tasks: [] };
