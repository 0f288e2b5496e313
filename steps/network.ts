/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const network: Step = { id: 'network', title: 'network (not yet declared)', doc: '', tasks: [] };
