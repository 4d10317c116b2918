// Follows the framing of a chunked body (RFC 9112 section 7.1) only to learn where it ends, so a
// keep-alive server need not close the connection. The raw framed bytes are what keepalived hashes
// (it never de-chunks), so this tracker never changes what is digested.

type State =
  | 'size'
  | 'size-ext'
  | 'size-lf'
  | 'data'
  | 'data-cr'
  | 'data-lf'
  | 'trailer-start'
  | 'trailer-line'
  | 'trailer-lf'
  | 'final-lf'
  | 'done'
  | 'invalid';

const MAX_SIZE_DIGITS = 15; // 16^15 bytes is far beyond any body; more digits is garbage

export class ChunkedTracker {
  private state: State = 'size';
  private digits = 0;
  private remaining = 0;

  /** True once the last chunk and the trailer section have been seen. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** True when the framing was broken: the end of the body is then only known at EOF. */
  get invalid(): boolean {
    return this.state === 'invalid';
  }

  /** Feed the next body bytes; returns how many were consumed before the body ended (all if not). */
  push(bytes: Uint8Array): number {
    let i = 0;
    while (i < bytes.length && this.state !== 'done' && this.state !== 'invalid') {
      const b = bytes[i]!;
      switch (this.state) {
        case 'data': {
          const take = Math.min(this.remaining, bytes.length - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.state = 'data-cr';
          continue;
        }
        case 'size': {
          const v = hexValue(b);
          if (v >= 0 && this.digits < MAX_SIZE_DIGITS) {
            this.remaining = this.remaining * 16 + v;
            this.digits++;
          } else if (this.digits > 0 && (b === 0x3b || b === 0x20 || b === 0x09)) {
            this.state = 'size-ext'; // chunk extension or trailing blanks: ignored up to the line end
          } else if (this.digits > 0 && b === 0x0d) {
            this.state = 'size-lf';
          } else if (this.digits > 0 && b === 0x0a) {
            this.endSizeLine();
          } else {
            this.state = 'invalid';
          }
          break;
        }
        case 'size-ext':
          if (b === 0x0d) this.state = 'size-lf';
          else if (b === 0x0a) this.endSizeLine();
          break;
        case 'size-lf':
          if (b === 0x0a) this.endSizeLine();
          else this.state = 'invalid';
          break;
        case 'data-cr':
          if (b === 0x0d) this.state = 'data-lf';
          else if (b === 0x0a) this.nextChunk();
          else this.state = 'invalid';
          break;
        case 'data-lf':
          if (b === 0x0a) this.nextChunk();
          else this.state = 'invalid';
          break;
        case 'trailer-start':
          if (b === 0x0d) this.state = 'final-lf';
          else if (b === 0x0a) this.state = 'done';
          else this.state = 'trailer-line';
          break;
        case 'trailer-line':
          if (b === 0x0d) this.state = 'trailer-lf';
          else if (b === 0x0a) this.state = 'trailer-start';
          break;
        case 'trailer-lf':
          this.state = b === 0x0a ? 'trailer-start' : 'invalid';
          break;
        case 'final-lf':
          this.state = b === 0x0a ? 'done' : 'invalid';
          break;
      }
      i++;
    }
    return i;
  }

  private endSizeLine(): void {
    if (this.remaining === 0) {
      this.state = 'trailer-start'; // the last chunk: only trailer fields and a blank line follow
    } else {
      this.state = 'data';
    }
  }

  private nextChunk(): void {
    this.state = 'size';
    this.digits = 0;
    this.remaining = 0;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}
