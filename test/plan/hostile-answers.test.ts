/**
 * Issue 10, points 2 and 4: secrets masked in every printed form (and refused when they cannot be
 * masked safely); answers checks that match what the files need; hostile YAML refused with a
 * message. Each case counts in the closing note of the issue.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { tempDir } from '../helpers/temp.js';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadAnswers, validateAnswers } from '../../src/plan/load.js';
import { AnswersInvalid } from '../../src/errors.js';
import { derivePlan, MASK, maskSecretAttrs, redact, secretValues } from '../../src/plan/derive.js';
import { x } from '../../src/engine/render.js';
import { q } from '../../src/engine/shell.js';
import { fileChange } from '../../src/engine/diff.js';
import { captureOutput, say, setOutput, setOutputSecrets, warn } from '../../src/output.js';
import { printError } from '../../src/cli.js';
import { AnvilError } from '../../src/errors.js';
import { renderClusterConf } from '../../steps/cluster-conf.js';

const EXAMPLE = 'examples/tutorial.anvil.yaml';

function issuesOf(mutate: (a: any) => void, env: NodeJS.ProcessEnv = {}): string[] {
  const a = parse(readFileSync(EXAMPLE, 'utf8'));
  mutate(a);
  try {
    validateAnswers(a, 'test', env);
  } catch (e) {
    if (e instanceof AnswersInvalid) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

function fileIssues(text: string): string[] {
  const dir = tempDir('anvil-hostile-');
  const f = join(dir, 'a.yaml');
  writeFileSync(f, text);
  try {
    loadAnswers(f, {});
  } catch (e) {
    if (e instanceof AnswersInvalid) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe('masking in every printed form (point 2)', () => {
  const pw = `a"b<c>&d'e$f\`g\\h`;
  const forms = secretValues(derivePlan(validateAnswers(parse(readFileSync(EXAMPLE, 'utf8')), 't', {})).answers).length;

  it('masks a secret raw, XML-escaped (ours and ejs), shell-quoted, double-quoted and JSON-escaped', () => {
    const a = validateAnswers({ ...parse(readFileSync(EXAMPLE, 'utf8')), ricci: { password: pw } }, 't', {});
    const s = secretValues(a);
    expect(forms).toBeGreaterThan(0);
    const printed = [
      pw,
      x(pw),
      pw
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&#34;')
        .replace(/'/g, '&#39;'),
      q(pw),
      `"${pw.replace(/(["\\$`])/g, '\\$1')}"`,
      JSON.stringify(pw),
      JSON.stringify({ cmd: `echo ${q(pw)}` }),
    ];
    for (const p of printed) {
      const out = redact(`before ${p} after`, s);
      expect(out, p).toContain(MASK);
      for (const piece of ['b<c', 'b&lt;c', "d'e", 'f`g', 'd&#39;e', 'd&apos;e']) expect(out).not.toContain(piece);
    }
  });

  it('masks the passwords of the rendered cluster.conf when a password has XML characters', () => {
    const a = validateAnswers(parse(readFileSync(EXAMPLE, 'utf8')), 't', {});
    (a.fencing.devices[0] as Record<string, unknown>).passwd = `x<y>"z&w'1`;
    const conf = renderClusterConf(derivePlan(a), 'foundation');
    expect(conf).toContain('&lt;y&gt;');
    const out = redact(conf, secretValues(a));
    expect(out).not.toContain('&lt;y&gt;');
    expect(out).toContain(`passwd="${MASK}"`);
  });

  it('masks a word-like secret only as a whole token; a strong one everywhere, even glued to other text', () => {
    expect(redact('/root/backups and hunter2 and backups hunters hunter', ['hunter'])).toBe(
      '/root/backups and hunter2 and backups hunters ********',
    );
    expect(redact('aaS3cretS3cretbb', ['S3cretS3cret'])).toBe('aa********bb');
    expect(redact('pw=s3cr3t!', ['s3cr3t!'])).toBe('pw=********');
  });

  it('masks an old password (no longer in the answers) in an on-screen diff', () => {
    const ch = fileChange(
      '/etc/cluster/cluster.conf',
      '<fencedevice login="root" passwd="0ld-Passw0rd"/>\n',
      '<fencedevice login="root" passwd="N3w-Passw0rd"/>\n',
      secretValues(
        validateAnswers({ ...parse(readFileSync(EXAMPLE, 'utf8')), ricci: { password: 'N3w-Passw0rd' } }, 't', {}),
      ),
    );
    expect(ch.patch).not.toContain('0ld-Passw0rd');
    expect(ch.patch).not.toContain('N3w-Passw0rd');
    expect(maskSecretAttrs(`password = abc def\npasswd='x y'`)).toBe(`password = ${MASK} def\npasswd='${MASK}'`);
  });

  it('masks the loaded secrets in every line printed and in error messages', () => {
    const c = captureOutput();
    const prev = setOutput(c);
    try {
      validateAnswers({ ...parse(readFileSync(EXAMPLE, 'utf8')), ricci: { password: 'Pr1nted-Secret' } }, 't', {});
      say('say Pr1nted-Secret');
      warn(`warn ${q("Pr1nted-Secret'")}`);
      printError(new AnvilError('error Pr1nted-Secret', 'hint Pr1nted-Secret'));
      printError(new Error('internal Pr1nted-Secret'));
    } finally {
      setOutput(prev);
      setOutputSecrets([]);
    }
    expect(c.text() + c.errText()).not.toContain('Pr1nted');
    expect((c.text() + c.errText()).split(MASK).length - 1).toBe(5);
  });

  const refused: [string, (a: any) => void, RegExp][] = [
    [
      'passwd written as a number',
      (a) => (a.fencing.devices[0].passwd = 12345678),
      /fencing.devices\[0\].passwd: write the password in quotes/,
    ],
    [
      'ricci password written as a number',
      (a) => (a.ricci.password = 1234567),
      /ricci.password: write the password in quotes/,
    ],
    ['empty passwd', (a) => (a.fencing.devices[0].passwd = ''), /fencing.devices\[0\].passwd: must not be empty/],
    ['null passwd', (a) => (a.fencing.devices[0].passwd = null), /fencing.devices\[0\].passwd: must not be empty/],
    ['null ricci password', (a) => (a.ricci.password = null), /ricci.password: must not be empty/],
    ['empty ricci password', (a) => (a.ricci.password = ''), /ricci.password: must not be empty/],
    ['two-digit secret 00', (a) => (a.fencing.devices[0].passwd = '00'), /too short to mask safely/],
    ['secret "root"', (a) => (a.ricci.password = 'root'), /"root" is a word the tool prints/],
    ['secret "Admin"', (a) => (a.fencing.devices[1].passwd = 'Admin'), /"admin" is a word the tool prints/],
    ['six-digit secret', (a) => (a.fencing.devices[1].passwd = '123456'), /reads like a number/],
    [
      'secret equal to a node name',
      (a) => (a.ricci.password = 'an-node01'),
      /ricci.password: is the same text as nodes\[0\].name/,
    ],
    ['multi-line secret', (a) => (a.ricci.password = 'line1\nline2'), /ricci.password: must be on one line/],
  ];
  for (const [what, mutate, want] of refused)
    it(`refuses ${what}, with a message`, () => {
      const issues = issuesOf(mutate);
      expect(issues.join('\n')).toMatch(want);
    });

  it('accepts the contract secrets ("secret") and an unresolved ${env:NAME} in plan mode', () => {
    expect(issuesOf(() => {})).toEqual([]);
    const a = parse(readFileSync(EXAMPLE, 'utf8'));
    a.ricci.password = '${env:NOT_SET_HERE}';
    expect(() => validateAnswers(a, 't', {}, { secretsOptional: true })).not.toThrow();
  });
});

describe('answers checks that match what the files need (point 4)', () => {
  const cases: [string, (a: any) => void, string][] = [
    [
      'fence attribute name injecting XML',
      (a) => (a.fencing.devices[2]['x="1"/><fencedevice name="evil" agent="fence_x'] = 'y'),
      'fencing.devices[2]: "x=\\"1\\"/><fencedevice',
    ],
    [
      'fence attribute name with a space',
      (a) => (a.fencing.devices[2]['ip addr'] = 'y'),
      'fencing.devices[2]: "ip addr" is not a fence agent attribute name',
    ],
    [
      'fence attribute holding a map',
      (a) => (a.fencing.devices[2].ipaddr = { a: 1 }),
      'fencing.devices[2].ipaddr: a fence agent attribute is one value',
    ],
    ['fence attribute null', (a) => (a.fencing.devices[2].ipaddr = null), 'fencing.devices[2].ipaddr: has no value'],
    [
      'fence attribute with a newline',
      (a) => (a.fencing.devices[2].ipaddr = 'pdu2\n<evil/>'),
      'fencing.devices[2].ipaddr: ',
    ],
    [
      'linbitHash with a newline',
      (a) => (a.storage.drbd.linbitHash = 'abc\n[evil]\nbaseurl=http://x'),
      'storage.drbd.linbitHash: the hash from the LINBIT repository URL',
    ],
    [
      'VM extra args with a newline',
      (a) => (a.vms[0].install.extraArgs = 'ks=x\nreboot'),
      'vms[0].install.extraArgs: must be on one line',
    ],
    ['ssh host with a newline', (a) => (a.nodes[0].ssh.host = 'a\nb'), 'nodes[0].ssh.host: '],
    ['bonding mode 7', (a) => (a.networks.bonding.mode = 7), 'networks.bonding.mode: bonding mode is 0 to 6'],
    ['negative updelay', (a) => (a.networks.bonding.updelay = -5), 'networks.bonding.updelay: '],
    [
      'updelay not a multiple of miimon',
      (a) => (a.networks.bonding.updelay = 120050),
      'networks.bonding.updelay: 120050 is not a multiple of miimon 100',
    ],
    ['use_carrier 2', (a) => (a.networks.bonding.useCarrier = 2), 'networks.bonding.useCarrier: '],
    [
      'node address = network address',
      (a) => (a.nodes[0].bcn = '10.20.0.0'),
      'nodes[0].bcn: 10.20.0.0 is the network address of 10.20.0.0/16',
    ],
    [
      'node address = broadcast address',
      (a) => (a.nodes[1].sn = '10.10.255.255'),
      'nodes[1].sn: 10.10.255.255 is the broadcast address of 10.10.0.0/16',
    ],
    [
      'gateway = broadcast',
      (a) => (a.networks.ifn.gateway = '10.255.255.255'),
      'networks.ifn.gateway: 10.255.255.255 is the broadcast address',
    ],
    [
      'two networks the same',
      (a) => (a.networks.sn.cidr = '10.20.0.0/16'),
      'networks.sn.cidr: 10.20.0.0/16 overlaps networks.bcn.cidr',
    ],
    [
      'overlapping networks',
      (a) => (a.networks.ifn.cidr = '10.0.0.0/8'),
      'networks.ifn.cidr: 10.0.0.0/8 overlaps networks.bcn.cidr',
    ],
    ['DRBD size 0GB', (a) => (a.storage.resources[0].size = '0GB'), 'storage.resources[0].size: must be above zero'],
    ['VM size 0G', (a) => (a.vms[0].size = '0G'), 'vms[0].size: must be above zero'],
    ['GFS2 mount /', (a) => (a.storage.gfs2.mount = '/'), 'storage.gfs2.mount: cannot mount the shared GFS2 on /'],
    ['GFS2 mount /etc', (a) => (a.storage.gfs2.mount = '/etc'), 'storage.gfs2.mount: /etc is the system folder /etc'],
    [
      'GFS2 mount under /usr',
      (a) => (a.storage.gfs2.mount = '/usr/local/shared'),
      'storage.gfs2.mount: /usr/local/shared is inside the system folder /usr',
    ],
    ['GFS2 mount with ..', (a) => (a.storage.gfs2.mount = '/shared/../etc'), 'storage.gfs2.mount: /shared/../etc has'],
    ['GFS2 mount relative', (a) => (a.storage.gfs2.mount = 'shared'), 'storage.gfs2.mount: must be an absolute path'],
    [
      'GFS2 lock table name over 30',
      (a) => (a.storage.gfs2.lv = 'a'.repeat(31)),
      'storage.gfs2.lv: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" is 31 characters; it is the GFS2 lock table name',
    ],
    ['LV name reserved by LVM', (a) => (a.vms[1].lv = 'snapshot1'), 'vms[1].lv: LV names cannot start with "snapshot"'],
    ['LV name with _mlog', (a) => (a.vms[2].lv = 'vm_mlog'), 'vms[2].lv: LV names cannot contain "_mlog"'],
    [
      'VG name over 127',
      (a) => (a.storage.resources[0].vg = 'v'.repeat(128)),
      'storage.resources[0].vg: is 128 characters',
    ],
    [
      'node name over 63',
      (a) => (a.nodes[0].name = 'n'.repeat(64)),
      'nodes[0].name: a host name is at most 63 characters',
    ],
    ['ssh user with a space', (a) => (a.nodes[0].ssh.user = 'ro ot'), 'nodes[0].ssh.user: not a user name'],
  ];
  for (const [what, mutate, want] of cases)
    it(`refuses ${what}, naming the field`, () => {
      const issues = issuesOf(mutate);
      expect(
        issues.some((i) => i.startsWith(want)),
        `${issues.join('\n')}`,
      ).toBe(true);
    });

  it('a file with ten of these gets ten messages, one per field', () => {
    const issues = issuesOf((a) => {
      a.fencing.devices[2]['bad key'] = 'x';
      a.storage.drbd.linbitHash = 'a\nb';
      a.networks.bonding.mode = 9;
      a.nodes[0].bcn = '10.20.0.0';
      a.nodes[1].ssh.user = 'ro ot';
      a.storage.resources[1].size = '0GB';
      a.storage.gfs2.mount = '/var';
      a.vms[0].lv = 'pvmove0';
      a.fencing.devices[0].passwd = 99999999;
      a.ricci.password = 'root';
    });
    expect(issues.length, issues.join('\n')).toBe(10);
  });

  it('never renders an injected <fencedevice>: the file is refused first', () => {
    const a = parse(readFileSync(EXAMPLE, 'utf8'));
    a.fencing.devices[2]['x="1"/><fencedevice name="evil" agent="fence_x'] = 'y';
    expect(() => validateAnswers(a, 't', {})).toThrow(AnswersInvalid);
  });
});

describe('hostile YAML (point 4)', () => {
  it('refuses an alias bomb with a message, not "internal error"', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      );
    expect(fileIssues(lines.join('\n') + '\n').join('\n')).toMatch(/\(file\): too many YAML aliases/);
  });

  it('refuses deep nesting (flow and block) with a message', () => {
    expect(fileIssues('cluster: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n').join('\n')).toMatch(
      /nested (more than 12 levels|too deep)/,
    );
    let block = '';
    for (let i = 0; i < 20; i++) block += `${'  '.repeat(i)}k${i}:\n`;
    block += `${'  '.repeat(20)}v: 1\n`;
    expect(fileIssues(block).join('\n')).toMatch(/k0\.k1\.k2.*nested more than 12 levels/);
  });

  it('refuses a duplicate key, a file too big and a folder, with messages', () => {
    expect(fileIssues('cluster: {name: a}\ncluster: {name: b}\n').join('\n')).toMatch(
      /YAML syntax: Map keys must be unique/,
    );
    expect(fileIssues('# ' + 'x'.repeat(1024 * 1024 + 10) + '\n').join('\n')).toMatch(/\(file\): is \d+ bytes/);
    expect(() => loadAnswers(tmpdir(), {})).toThrow(/cannot read answers file .*EISDIR/);
  });
});
