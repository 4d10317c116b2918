// NDJSON framing shared by the server and the client: bytes in, complete lines out, with a bound on
// how long an unfinished line may grow (a peer that never sends '\n' must not eat the memory).

export type FeedResult = { ok: true; lines: string[] } | { ok: false; error: string };

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Splits a chunk into the complete lines it finishes; keeps the unfinished tail. */
  feed(chunk: Buffer): FeedResult {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      if (this.pendingBytes + piece.length > this.maxLineBytes) return this.tooLong();
      const bytes = this.pending.length ? Buffer.concat([...this.pending, piece]) : piece;
      this.pending = [];
      this.pendingBytes = 0;
      lines.push(bytes.toString('utf8').replace(/\r$/, ''));
      start = nl + 1;
    }
    if (start < chunk.length) {
      const tail = chunk.subarray(start);
      if (this.pendingBytes + tail.length > this.maxLineBytes) return this.tooLong();
      // Copy: the socket may reuse the chunk's memory.
      this.pending.push(Buffer.from(tail));
      this.pendingBytes += tail.length;
    }
    return { ok: true, lines };
  }

  private tooLong(): FeedResult {
    this.pending = [];
    this.pendingBytes = 0;
    return { ok: false, error: `line longer than ${this.maxLineBytes} bytes` };
  }
}
