// keepalived's dump_buffer() layout, reproduced so that `genhash -v` output lines up byte for byte:
// "OOOO " offset, 16 bytes as " xx" with " -" after the 8th, then three spaces and the printable
// ASCII (others as '.'); the last line is padded with blanks to a full 16 columns.

const HEX = '0123456789abcdef';

/** Hex dump of `bytes` (offsets start at 0, as keepalived restarts them for every read). */
export function dumpBuffer(bytes: Uint8Array): string {
  const count = bytes.length;
  const padded = count % 16 ? count + (16 - (count % 16)) : count;
  const out: string[] = [];
  for (let i = 0; i < padded; i++) {
    // keepalived prints the offset masked to 16 bits, zero-padded to at least 4 digits.
    if (i % 16 === 0) out.push(String(i & 0xffff).padStart(4, '0') + ' ');
    if (i < count) {
      const b = bytes[i]!;
      out.push(' ' + HEX[b >> 4]! + HEX[b & 15]!);
    } else {
      out.push('   ');
    }
    if ((i + 1) % 8 === 0) {
      if ((i + 1) % 16 !== 0) {
        out.push(' -');
      } else {
        out.push('   ');
        for (let j = i - 15; j <= i; j++) {
          if (j < count) {
            const b = bytes[j]!;
            out.push(b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.');
          } else {
            out.push(' ');
          }
        }
        out.push('\n');
      }
    }
  }
  return out.join('');
}
