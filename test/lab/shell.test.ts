import { describe, it, expect, beforeAll } from 'vitest';
import { world, run } from './helpers.js';
import type { LabNode } from '../../src/lab/node/node.js';
import { parse } from '../../src/lab/shell/parser.js';

let n: LabNode;
beforeAll(() => {
  n = world().nodes['an-node01']!;
});

describe('shell: parsing', () => {
  it('parses lists, and-or, pipelines, background and redirections', () => {
    const l = parse('a && b || c; d | e 2>&1 >f & g');
    expect(l.items.length).toBe(3);
    expect(l.items[0].cmd.rest.map((r) => r.op)).toEqual(['&&', '||']);
    expect(l.items[1].bg).toBe(true);
    expect(l.items[1].cmd.first.cmds.length).toBe(2);
    expect(() => parse('echo ;;')).toThrow(/syntax error/);
    expect(() => parse("echo 'unterminated")).toThrow(/unexpected EOF/);
  });
});

describe('shell: semantics', () => {
  const cases: [string, string, number?][] = [
    ['echo a && echo b || echo c', 'a\nb\n'],
    ['false && echo no || echo yes', 'yes\n'],
    ['false; echo $?', '1\n'],
    ['true | false; echo $?', '1\n'],
    ['! false; echo $?', '0\n'],
    ['echo one two | tr a-z A-Z', 'ONE TWO\n'],
    ['printf "%s-%03d\\n" x 7', 'x-007\n'],
    ['echo "a  b"   c', 'a  b c\n'],
    ['echo \'single $HOME\' "double $HOME"', 'single $HOME double /root\n'],
    [
      "echo server tick.redhat.com$'\\n'restrict tick.redhat.com mask 255.255.255.255",
      'server tick.redhat.com\nrestrict tick.redhat.com mask 255.255.255.255\n',
    ],
    ['echo ~ ~/.ssh ~root', '/root /root/.ssh /root\n'],
    ['echo ifcfg-bond{0,1,2}', 'ifcfg-bond0 ifcfg-bond1 ifcfg-bond2\n'],
    ['echo r{0..2} {a,b}{1,2}', 'r0 r1 r2 a1 a2 b1 b2\n'],
    ['X=hello; echo ${X} ${X:-d} ${Y:-d} ${#X} ${X%lo} ${X#he}', 'hello hello d 5 hel llo\n'],
    ['echo $(echo inner) `echo back`', 'inner back\n'],
    ['echo "$(printf "a\\nb")"', 'a\nb\n'],
    ['A=1 B=2; echo $((A + B * 3))', '7\n'],
    ['echo a # comment', 'a\n'],
    ['for i in 1 2 3; do echo -n $i; done; echo', '123\n'],
    ['if [ -d /etc ]; then echo dir; else echo no; fi', 'dir\n'],
    ['i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i', '3\n'],
    ['f() { echo "f:$1"; }; f x', 'f:x\n'],
    ['(exit 3); echo $?', '3\n'],
    ['{ echo a; echo b; } | wc -l', '2\n'],
    ['sh -c "echo \\$0 \\$1; exit 4" name arg; echo $?', 'name arg\n4\n'],
    ["bash -c 'exit 7'; echo $?", '7\n'],
    ['cat <<EOF\nline $HOME\nEOF', 'line /root\n'],
    ["cat <<'EOF'\nline $HOME\nEOF", 'line $HOME\n'],
    ['cat <<< "here string"', 'here string\n'],
    ['printf "a\\nb\\n" | while read x; do echo "[$x]"; done', '[a]\n[b]\n'],
    ['while read l; do echo "<$l>"; done < /etc/redhat-release', '<CentOS release 6.4 (Final)>\n'],
    ['read a b <<< "1 2 3"; echo $b', '2 3\n'],
    ['set -e; echo a; false; echo no', 'a\n', 1],
    ['set -e; false || true; false && true; if false; then :; fi; ! true; echo yes', 'yes\n'],
    ['bash -ec "false; echo no"; echo $?', '1\n'],
    ['set -e; (false); echo no', '', 1],
    ['set -o pipefail; false | true; echo $?; set +o pipefail; false | true; echo $?', '1\n0\n'],
    ['set -- a b; echo $# $2', '2 b\n'],
    ['exit 5', '', 5],
    ['nosuchcmd', '', 127],
  ];
  for (const [cmd, out, code] of cases) {
    it(JSON.stringify(cmd), async () => {
      const r = await run(n, cmd);
      expect(r.out).toBe(out);
      expect(r.code).toBe(code ?? 0);
    });
  }

  it('reports unknown commands as bash does', async () => {
    expect(await run(n, 'foo')).toEqual({ out: '', err: 'bash: foo: command not found\n', code: 127 });
    expect((await run(n, 'sh -c foo')).err).toBe('sh: foo: command not found\n');
    expect(await run(n, '/no/such/prog')).toEqual({
      out: '',
      err: 'bash: /no/such/prog: No such file or directory\n',
      code: 127,
    });
    expect((await run(n, '/etc')).code).toBe(126);
    expect((await run(n, 'echo "x')).code).toBe(2);
  });

  it('redirects: >, >>, <, 2>&1, 2>/dev/null, &>', async () => {
    await run(n, 'echo one > /tmp/r; echo two >> /tmp/r');
    expect((await run(n, 'cat < /tmp/r')).out).toBe('one\ntwo\n');
    expect(await run(n, 'ls /nope 2>&1')).toEqual({
      out: 'ls: cannot access /nope: No such file or directory\n',
      err: '',
      code: 2,
    });
    expect(await run(n, 'ls /nope 2>/dev/null')).toEqual({ out: '', err: '', code: 2 });
    await run(n, 'ls /nope /tmp/r &> /tmp/both');
    expect((await run(n, 'cat /tmp/both')).out).toBe('ls: cannot access /nope: No such file or directory\n/tmp/r\n');
    expect((await run(n, 'echo x > /no/dir/file')).err).toBe('bash: /no/dir/file: No such file or directory\n');
    expect((await run(n, 'cat /dev/null > /tmp/r; wc -c < /tmp/r')).out).toBe('0\n');
    expect((await run(n, 'echo err >&2', undefined)).err).toBe('err\n');
  });

  it('globs expand against the filesystem, sorted; no match stays literal', async () => {
    expect((await run(n, 'echo /etc/sysconfig/network-scripts/ifcfg-eth*')).out).toBe(
      '/etc/sysconfig/network-scripts/ifcfg-eth0 /etc/sysconfig/network-scripts/ifcfg-eth1 /etc/sysconfig/network-scripts/ifcfg-eth2 /etc/sysconfig/network-scripts/ifcfg-eth3 /etc/sysconfig/network-scripts/ifcfg-eth4 /etc/sysconfig/network-scripts/ifcfg-eth5\n',
    );
    expect((await run(n, 'echo /etc/nothing* "/etc/ifcfg*"')).out).toBe('/etc/nothing* /etc/ifcfg*\n');
  });

  it('passes stdin and env through exec; runs as root in /root', async () => {
    const r = await n.exec('cat; pwd; echo $HOME $USER $FOO', { stdin: 'in\n', env: { FOO: 'bar' } });
    expect(r.stdout).toBe('in\n/root\n/root root bar\n');
  });

  it('runs `cmd &` after the command line completes', async () => {
    const r = await run(
      n,
      'nohup sh -c "sleep 1; echo done > /tmp/bg" & echo started; cat /tmp/bg 2>/dev/null || echo notyet',
    );
    expect(r.out).toBe('started\nnotyet\n');
    await n.settle();
    expect((await run(n, 'cat /tmp/bg')).out).toBe('done\n');
  });

  it('keeps cwd and variables across lines of a session, not across exec calls', async () => {
    const s = n.session();
    await s.exec('cd /etc/sysconfig; X=1');
    expect((await s.exec('pwd; echo $X')).stdout).toBe('/etc/sysconfig\n1\n');
    expect((await n.exec('pwd; echo "[$X]"')).stdout).toBe('/root\n[]\n');
  });
});
