import { describe, it, expect } from 'vitest';
import {
  randomArt,
  md5Fingerprint,
  blobBits,
  generateRsa,
  publicLine,
  parsePublicLine,
} from '../../src/lab/node/keys.js';

// The public key an-node01 generated in the tutorial (lines ~904-909), unwrapped.
const TUTORIAL_B64 = [
  'AAAAB3NzaC1yc2EAAAABIwAAAQBs+CsWeKegqmtneZcLDvHV4QT1n+ajj98gkmjo',
  'LcIFW5g/VFRLpSMMkwkQBgGDkmKPvYFa5OolL6qBQSAN1NpP8zET+1lZr4OFg/TZTuA8QnhN',
  'eh6VmU2hSoyJfEkKJ6TVYg4s1rsbbTZPLdCDe9CMn/iI824WUu2wA8RwhF2WTqqTrWTW4h8t',
  'YK9Y4eT4IYMXiYZ8+eQfzHyMaNxvUcI1Z8heMn/CEnrA67ja7Czi/ljYnw0I3MXy9d2ANYjY',
  'ahBLF2+ok19NS9tkFHDlcZTh0gTQ4vV5fksgdJjsWl5l/aLjnSRfx2pQrMl3w8U7JBpr0PWJ',
  'PIuzd4q47+KBI1A9',
].join('');

describe('ssh key helpers', () => {
  it("reproduce the tutorial's fingerprint and randomart for its key", () => {
    const blob = Buffer.from(TUTORIAL_B64, 'base64');
    expect(md5Fingerprint(blob)).toBe('4a:52:a1:c7:60:d5:e8:6d:c4:75:20:dd:62:2b:86:c5');
    expect(blobBits(blob)).toBe(2047);
    expect(randomArt(blob)).toBe(
      [
        '+--[ RSA 2047]----+',
        '|    o.o=.ooo.    |',
        '|   . +..E.+..    |',
        '|    ..+= . o     |',
        '|     oo = .      |',
        '|    . .oS.       |',
        '|     o .         |',
        '|      .          |',
        '|                 |',
        '|                 |',
        '+-----------------+',
      ].join('\n'),
    );
  });
  it('generates real keys whose public line round-trips', () => {
    const k = generateRsa(2047, 35);
    expect(k.bits).toBe(2047);
    expect(k.privatePem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    const line = publicLine(k.blob, 'root@x');
    expect(parsePublicLine(line)!.blob.equals(k.blob)).toBe(true);
    expect(line.startsWith('ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAA')).toBe(true);
  });
});
