/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const storageServices: Step = { id: 'storage-services', title: 'storage-services (not yet declared)', doc: '', tasks: [] };
