/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const preflight: Step = { id: 'preflight', title: 'preflight (not yet declared)', doc: '', tasks: [] };
