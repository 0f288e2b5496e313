/**
 * A small step list that exercises every shape the report code must print, whatever state the
 * real steps are in: a file identical on both nodes, a file that holds passwords, commands that
 * differ per node, a local task, a gate with a checklist and a Yes/No table, a task the engine
 * cannot run yet. It uses real templates and the real Plan, nothing printed is hard-coded.
 */
import type { Step } from '../../src/engine/types.js';
import { q } from '../../src/engine/shell.js';

export const SAMPLE_STEPS: Step[] = [
  {
    id: 'sample-files',
    title: 'Sample: files',
    doc: 'Writes /etc/hosts on both nodes and cluster.conf (which holds fence passwords) on node 1.',
    warnings: ['Sample warning: read this before you start.'],
    tasks: [
      {
        id: 'sample.hosts',
        title: 'Write hosts',
        on: 'both',
        kind: 'safe',
        files: () => [{ path: '/etc/hosts', template: 'etc/hosts.ejs', backup: 'orig' }],
        commands: () => ['getent hosts localhost'],
        verify: async () => ({ summary: 'ok' }),
      },
      {
        id: 'sample.cluster-conf',
        title: 'Write cluster.conf',
        on: 'node1',
        kind: 'safe',
        files: () => [
          {
            path: '/etc/cluster/cluster.conf',
            template: 'cluster/cluster.conf.ejs',
            locals: { version: 7, stage: 'foundation' },
            mode: 0o640,
            secret: true,
          },
        ],
        verify: async () => ({ summary: 'ok' }),
      },
      {
        id: 'sample.per-node',
        title: 'Commands that differ per node',
        on: 'each',
        kind: 'once',
        commands: (p, n) => [`echo ${q(n.fqdn)}`, `ping -c 1 ${q(p.peerOf(n).name)}.sn`],
        expect: (_p, n) => [`${n.name} answers`],
        expectedOutput: (_p, n) => `${n.fqdn}\n`,
        verify: async () => ({ summary: 'ok' }),
        done: async () => false,
      },
    ],
  },
  {
    id: 'sample-gate',
    title: 'Sample: gate',
    doc: 'An operator test.',
    tasks: [
      {
        id: 'sample.local',
        title: 'Local check',
        on: 'local',
        kind: 'safe',
        commands: (p) => [`ssh root@${q(p.nodes[0].name)} true`],
      },
      {
        id: 'sample.gate',
        title: 'Pull a cable',
        on: 'both',
        kind: 'gate',
        gate: {
          instruct: (p) => `Pull the BCN link 1 cable of ${p.nodes[0].name}.\n\nThen put it back.`,
          checklist: (p) => p.nodes.map((n) => `${n.name} still answers ping`),
          tables: (p) => [
            {
              title: 'Cable tests',
              columns: ['Test', 'Victim', 'Pass?'],
              rows: p.nodes.map((n) => ['pull eth0', n.name, 'Yes / No']),
            },
          ],
        },
      },
    ],
  },
];
