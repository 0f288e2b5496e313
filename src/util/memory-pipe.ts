/**
 * Two connected byte streams in one process: what one end writes, the other reads. Used for an SSH
 * connection between the installer and a lab served in the same process, which then pays no system
 * call and no event-loop wake-up per packet (Node 20 has no `stream.duplexPair`, added in 22.6).
 */
import { Duplex } from 'node:stream';

/** What a server uses of an accepted connection: a TCP socket, or a {@link memoryPipe} end. */
export type PipeSocket = Duplex & { readonly remotePort?: number; setNoDelay(noDelay?: boolean): unknown };

/** One end of a {@link memoryPipe}; behaves as a TCP socket that has connected. */
class PipeEnd extends Duplex {
  peer!: PipeEnd;
  /** As a loopback socket's: a server keys its per-connection timers by the client's port. */
  readonly remoteAddress = '127.0.0.1';
  readonly remoteFamily = 'IPv4';
  remotePort: number | undefined;
  /** Read requested and nothing queued: the next chunk is pushed at once. */
  private wanted = false;
  private readonly queue: (Buffer | null)[] = [];

  _read(): void {
    this.wanted = true;
    this.drainQueue();
  }

  private drainQueue(): void {
    while (this.wanted && this.queue.length) this.wanted = this.push(this.queue.shift()!);
  }

  /** Bytes (or the end, null) from the peer. */
  deliver(chunk: Buffer | null): void {
    this.queue.push(chunk);
    this.drainQueue();
  }

  _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // NOTE: copied: the writer may reuse its buffer once the callback ran, as with a socket.
    this.peer.deliver(Buffer.from(chunk));
    cb();
  }

  _final(cb: (e?: Error | null) => void): void {
    this.peer.deliver(null);
    cb();
  }

  _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // NOTE: as a reset TCP connection: the peer's reads end and it closes, with no error of its own.
    const peer = this.peer;
    if (!peer.destroyed) queueMicrotask(() => peer.destroy());
    cb(err);
  }

  /** A socket method ssh2 calls when present; nothing to do between two ends in memory. */
  setNoDelay(): this {
    return this;
  }
}

let nextPort = 65536;

/** A connected pair of streams: `[a, b]`, where `a` writes what `b` reads and the other way. */
export function memoryPipe(): [PipeSocket, PipeSocket] {
  const a = new PipeEnd({ allowHalfOpen: false });
  const b = new PipeEnd({ allowHalfOpen: false });
  a.peer = b;
  b.peer = a;
  // NOTE: past the TCP port range, so a memory connection's port never names a TCP one.
  b.remotePort = nextPort++;
  return [a, b];
}
