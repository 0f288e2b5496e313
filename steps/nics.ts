/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const nics: Step = { id: 'nics', title: 'nics (not yet declared)', doc: '', tasks: [] };
