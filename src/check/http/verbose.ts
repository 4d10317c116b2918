// genhash -v output: keepalived prints, as it reads, a banner per read until the header is whole,
// the header as a hex dump and as text, then a hex dump of each read's hashed body bytes, and at a
// clean end of stream the digest itself. Layout and banners are keepalived's, for byte-for-byte
// comparable output.
import { dumpBuffer } from './hexdump.js';
import type { ReadObserver, ResponseHead } from './response.js';

export type Write = (chunk: string | Uint8Array) => void;

const banner = (title: string): string => `-----------------------[${title}]-----------------------\n`;
export const HTTP_HEADER_HEXA = banner('    HTTP Header Buffer    ');
export const HTTP_HEADER_ASCII = banner(' HTTP Header Ascii Buffer ');
export const HTML_HEADER_HEXA = banner('        HTML Buffer        ');
export const HTML_HASH = banner('    HTML hash resulting    ');
export const HTML_HASH_FINAL = banner(' HTML hash final resulting ');

export function verboseObserver(write: Write): ReadObserver {
  return {
    headerRead: () => write(HTTP_HEADER_HEXA),
    header: (head: ResponseHead, digested: Uint8Array) => {
      write(dumpBuffer(head.raw));
      write(HTTP_HEADER_ASCII);
      // printf("%.*s\n"): the header as a C string, so it stops at a NUL byte.
      const nul = head.raw.indexOf(0);
      write(nul < 0 ? head.raw : head.raw.subarray(0, nul));
      write('\n');
      if (digested.length) write(HTML_HEADER_HEXA + dumpBuffer(digested));
    },
    body: (digested: Uint8Array) => {
      if (digested.length) write(dumpBuffer(digested));
    },
  };
}

/** The digest block printed at the end of the stream, before the hex line. */
export function formatVerboseDigest(digest: Uint8Array): string {
  return '\n' + HTML_HASH + dumpBuffer(digest) + HTML_HASH_FINAL;
}
