/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const vmServices: Step = { id: 'vm-services', title: 'vm-services (not yet declared)', doc: '', tasks: [] };
