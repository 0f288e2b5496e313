/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const security: Step = { id: 'security', title: 'security (not yet declared)', doc: '', tasks: [] };
