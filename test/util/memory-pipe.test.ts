/**
 * The in-process byte pipe that carries SSH between the installer and a lab served in the same
 * process: both directions, the end of a direction, and a drop seen from the other end.
 */
import { describe, expect, it } from 'vitest';
import { memoryPipe } from '../../src/util/memory-pipe.js';

const read = (s: NodeJS.ReadableStream) =>
  new Promise<string>((resolve) => {
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => resolve(out));
  });

describe('memoryPipe', () => {
  it('carries bytes both ways, in order, and ends each direction with its writer', async () => {
    const [a, b] = memoryPipe();
    const atB = read(b);
    const atA = read(a);
    const chunk = Buffer.from('one ');
    a.write(chunk);
    // NOTE: a writer may reuse its buffer once written: the reader must still see the first bytes.
    chunk.write('XXXX');
    a.write('two ');
    a.end('three');
    b.end('back');
    expect(await atB).toBe('one two three');
    expect(await atA).toBe('back');
  });

  it('closes the other end when one end is destroyed, as a reset connection', async () => {
    const [a, b] = memoryPipe();
    b.resume();
    const closed = new Promise<void>((r) => b.once('close', () => r()));
    a.destroy();
    await closed;
    expect(b.destroyed).toBe(true);
  });

  it('keeps a reader that is not reading yet from losing bytes', async () => {
    const [a, b] = memoryPipe();
    for (let i = 0; i < 1000; i++) a.write(Buffer.alloc(1024, i % 256));
    a.end();
    let n = 0;
    for await (const d of b) n += (d as Buffer).length;
    expect(n).toBe(1000 * 1024);
  });

  it('gives the server end a client port outside the TCP range, different for each pipe', () => {
    const p1 = memoryPipe()[1].remotePort!;
    const p2 = memoryPipe()[1].remotePort!;
    expect(p1).toBeGreaterThan(65535);
    expect(p2).not.toBe(p1);
  });
});
