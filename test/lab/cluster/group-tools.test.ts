/**
 * The cluster 3.0.12 query tools an operator reaches for (tutorial 1739): fence_tool ls, dlm_tool ls,
 * group_tool ls and cman_tool services, in the formats of fence_tool.c do_list(), dlm/tool/main.c
 * show_ls() and group/tool/main.c (compat mode 0 runs the daemons' own `ls`).
 */
import { describe, it, expect } from 'vitest';
import { run } from '../helpers.js';
import { clusterReady, cmanBoth, tutorialWorld } from './helpers.js';
import { cpgCrc } from '../../../src/lab/cluster/group-tools.js';

describe('cluster: fence_tool, dlm_tool, group_tool, cman_tool services', () => {
  it('lists the fence domain and the lockspaces the members hold', async () => {
    const w = tutorialWorld();
    const [n1, n2] = await clusterReady(w);
    expect(await run(n1, 'fence_tool ls')).toEqual({ out: '', err: '', code: 1 });
    await cmanBoth(w);
    const fence =
      'fence domain\nmember count  2\nvictim count  0\nvictim now    0\nmaster nodeid 1\nwait state    none\nmembers       1 2 \n\n';
    expect(await run(n1, 'fence_tool ls')).toEqual({ out: fence, err: '', code: 0 });
    // NOTE: tutorial 1739: no lockspace before rgmanager, clvmd or GFS2 run: dlm_tool ls prints nothing.
    expect(await run(n1, 'dlm_tool ls')).toEqual({ out: '', err: '', code: 0 });
    for (const n of [n1, n2]) n.markRunning('rgmanager');
    // Source: dlm_controld cpg.c: global_id = cpgname_to_crc("dlm:ls:<name>" with its NUL), a CRC-32.
    const id = `0x${cpgCrc('dlm:ls:rgmanager').toString(16).padStart(8, '0')}`;
    const dlm =
      'dlm lockspaces\nname          rgmanager\n' +
      `id            ${id}\nflags         0x00000000 \n` +
      'change        member 2 joined 2 remove 0 failed 0 seq 2,2\nmembers       1 2 \n\n';
    expect(await run(n1, 'dlm_tool ls')).toEqual({ out: dlm, err: '', code: 0 });
    // cman_tool main.c show_services(): system("group_tool ls").
    expect(await run(n2, 'group_tool ls')).toEqual({ out: fence + dlm, err: '', code: 0 });
    expect(await run(n2, 'cman_tool services')).toEqual({ out: fence + dlm, err: '', code: 0 });
    n2.markStopped('rgmanager');
    expect((await run(n1, 'dlm_tool ls')).out).toContain('members       1 \n');
    expect(await run(n1, 'dlm_tool lockdump rgmanager')).toMatchObject({ code: 1 });
  }, 60000);

  it('cpgname_to_crc is the CRC-32 of the name and its NUL', () => {
    // NOTE: values of zlib's crc32 (the same IEEE CRC-32): b"12345678\0" → 0x94f1b12e.
    expect(cpgCrc('12345678')).toBe(0x94f1b12e);
  });
});
