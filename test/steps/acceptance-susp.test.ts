/**
 * Review item 6 (partly fixed): the acceptance gates read DRBD's suspended-I/O flag. DRBD 8.3.12
 * drbd/drbd_proc.c `drbd_seq_show()` prints 's' as the first I/O flag while I/O is suspended (a
 * fence-peer handler that did not succeed freezes every write), 'r' when it runs.
 */
import { describe, expect, it } from 'vitest';
import { drbdNotReady } from '../../steps/acceptance-drive.js';
import { derivePlan } from '../../src/plan/derive.js';
import { loadAnswers } from '../../src/plan/load.js';

const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
const head = 'version: 8.3.12 (api:88/proto:86-96)\nGIT-hash: x build by dag@Build64R6, 2011-11-20 10:57:03\n';
const row = (minor: number, flags: string) =>
  `${String(minor).padStart(2)}: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate C ${flags}\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:0\n`;

describe('acceptance gates and suspended I/O', () => {
  it('accepts running resources and refuses one whose I/O is suspended', () => {
    expect(drbdNotReady(p, head + row(0, 'r-----') + row(1, 'r-----') + row(2, 'r-----'))).toEqual([]);
    expect(drbdNotReady(p, head + row(0, 'r-----') + row(1, 's-----') + row(2, 'r-----'))).toEqual([
      'r1: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate oos:0 I/O suspended',
    ]);
  });
});
