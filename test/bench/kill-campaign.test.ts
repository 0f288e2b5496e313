/** The targeted kill seeds of the fence and network tests (see kill-campaign.ts). */
import { expect, it } from 'vitest';
import { TARGETED } from '../../src/bench/kill-window.js';
import { targetedSeeds } from './kill-campaign.js';

const EARLY = ['fence-tests', 'net-tests'];
targetedSeeds(EARLY);

it('the targeted seeds of this file and kill-campaign-late.test.ts cover every driven test of steps 9-20', () => {
  expect([...new Set(TARGETED.map((t) => t.step))].sort()).toEqual(
    ['acceptance', 'fence-tests', 'net-tests', 'storage-services'].sort(),
  );
});
