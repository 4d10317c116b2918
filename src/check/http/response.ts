// Incremental reader for a GET response, following keepalived's http_process_response() so that
// digests match genhash exactly: the digest covers the raw bytes after the first CRLFCRLF (chunk
// framing included: keepalived never de-chunks), cut at Content-Length when keepalived can read
// one. Pure: bytes in, digest updates and observer calls out; the body is never buffered.
import { ChunkedTracker } from './chunked.js';
import { parseHeaderFields, readContentLength, readStatusCode } from './head.js';

/** keepalived reads into a 4096-byte buffer keeping one byte for a NUL. */
export const READ_SIZE = 4095;

export interface ResponseHead {
  /** Header bytes, status line through the blank line. */
  raw: Buffer;
  /** Status code as keepalived extracts it; 0 when it cannot. */
  statusCode: number;
  /** Content-Length as keepalived reads it; null means "not usable": hash up to EOF. */
  contentLength: number | null;
  headers: Array<[string, string]>;
  chunked: boolean;
}

/** Per-read callbacks, reads being cut as keepalived's read() calls would be (for genhash -v). */
export interface ReadObserver {
  /** A read arrived while the header was still incomplete. */
  headerRead?(): void;
  /** The header is complete; `digested` is the part of that read's body that was hashed. */
  header?(head: ResponseHead, digested: Uint8Array): void;
  /** A later read; `digested` is its hashed part (empty past Content-Length). */
  body?(digested: Uint8Array): void;
}

export type PushOutcome = 'more' | 'complete' | 'header-too-large';

export class ResponseReader {
  private pending: Buffer = Buffer.alloc(0);
  private chunks: ChunkedTracker | undefined;
  private headValue: ResponseHead | undefined;
  private rx = 0;
  private digested = 0;
  private finished = false;

  constructor(
    private readonly digest: (bytes: Uint8Array) => void,
    private readonly observer: ReadObserver = {},
  ) {}

  get head(): ResponseHead | undefined {
    return this.headValue;
  }
  /** Body bytes received (keepalived's rx_bytes). */
  get bodyBytes(): number {
    return this.rx;
  }
  /** Body bytes fed to the digest. */
  get digestedBytes(): number {
    return this.digested;
  }
  /** The body ended by Content-Length or by the last chunk, before EOF. */
  get complete(): boolean {
    return this.finished;
  }

  push(data: Uint8Array): PushOutcome {
    // Without an observer the read boundaries do not matter after the header: take data whole.
    const sliceReads = this.observer.body !== undefined;
    let off = 0;
    while (off < data.length && !this.finished) {
      if (!this.headValue) {
        const room = READ_SIZE - this.pending.length;
        // keepalived would read(fd, buf, 0) here, get 0 and take it for EOF.
        if (room === 0) return 'header-too-large';
        const take = Math.min(room, data.length - off);
        this.onHeaderRead(data.subarray(off, off + take));
        off += take;
      } else {
        const take = sliceReads ? Math.min(READ_SIZE, data.length - off) : data.length - off;
        const read = data.subarray(off, off + take);
        off += take;
        const part = this.consumeBody(read);
        this.observer.body?.(part);
      }
    }
    return this.finished ? 'complete' : 'more';
  }

  private onHeaderRead(read: Uint8Array): void {
    this.observer.headerRead?.();
    this.pending = this.pending.length ? Buffer.concat([this.pending, read]) : Buffer.from(read);
    const end = findHeaderEnd(this.pending);
    if (end < 0) return;
    const buffer = this.pending;
    this.pending = Buffer.alloc(0);
    const raw = buffer.subarray(0, end);
    const headers = parseHeaderFields(raw);
    // keepalived searches the whole first buffer (header and any body bytes in it), as C strings.
    const head: ResponseHead = {
      raw,
      statusCode: readStatusCode(buffer),
      contentLength: readContentLength(buffer),
      headers,
      chunked: headers.some(([n, v]) => n.toLowerCase() === 'transfer-encoding' && /(^|,)\s*chunked\s*$/i.test(v)),
    };
    this.headValue = head;
    if (head.chunked) this.chunks = new ChunkedTracker();
    const part = this.consumeBody(buffer.subarray(end));
    this.observer.header?.(head, part);
  }

  /** Hash what keepalived would of one read, count it, and note whether the body has ended. */
  private consumeBody(read: Uint8Array): Uint8Array {
    const limit = this.headValue!.contentLength;
    let part = read;
    if (limit !== null) part = this.rx >= limit ? read.subarray(0, 0) : read.subarray(0, Math.min(read.length, limit - this.rx));
    this.rx += read.length;
    if (part.length) {
      this.digest(part);
      this.digested += part.length;
    }
    if (limit !== null && this.rx >= limit) this.finished = true;
    if (this.chunks) {
      this.chunks.push(read);
      if (this.chunks.done) this.finished = true;
    }
    return part;
  }
}

/** Offset just past the first CRLFCRLF, or -1 (keepalived's extract_html()). */
export function findHeaderEnd(buffer: Uint8Array): number {
  for (let i = 0; i + 3 < buffer.length; i++) {
    if (buffer[i] === 0x0d && buffer[i + 1] === 0x0a && buffer[i + 2] === 0x0d && buffer[i + 3] === 0x0a) return i + 4;
  }
  return -1;
}
