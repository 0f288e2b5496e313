/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const clusterFoundation: Step = { id: 'cluster-foundation', title: 'cluster-foundation (not yet declared)', doc: '', tasks: [] };
