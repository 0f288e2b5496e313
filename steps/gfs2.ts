/** PLACEHOLDER: being written (see issue "The whole tutorial as data"). */
import type { Step } from '../src/engine/types.js';

export const gfs2: Step = { id: 'gfs2', title: 'gfs2 (not yet declared)', doc: '', tasks: [] };
