// The digest engine: a streaming hash over the response body. keepalived and genhash use MD5 only;
// the algorithm is a parameter so that `keepalivedctl genhash --digest` and the checker can choose.
import { createHash, getHashes, type Hash } from 'node:crypto';

export const DEFAULT_DIGEST_ALGORITHM = 'md5';

export interface BodyDigest {
  readonly algorithm: string;
  update(bytes: Uint8Array): void;
  /** Bytes fed so far. */
  readonly bytes: number;
  /** Finish and return the raw digest; later calls return the same value. */
  final(): Buffer;
}

export type DigestResult = { ok: true; digest: BodyDigest } | { ok: false; error: string };

/** Algorithms this Node/OpenSSL build can stream (lower case, as `openssl dgst` names them). */
export function digestAlgorithms(): string[] {
  return getHashes().map((h) => h.toLowerCase());
}

/** A fresh streaming digest, or an error naming the unknown algorithm. */
export function createBodyDigest(algorithm: string = DEFAULT_DIGEST_ALGORITHM): DigestResult {
  const name = algorithm.trim().toLowerCase();
  if (!name || !digestAlgorithms().includes(name)) {
    return { ok: false, error: `unknown digest algorithm '${algorithm}' (try md5, sha1, sha256, sha512)` };
  }
  let hash: Hash;
  try {
    hash = createHash(name);
  } catch (e) {
    // Listed but unusable (e.g. disabled by the OpenSSL provider configuration).
    return { ok: false, error: `digest algorithm '${algorithm}' is not available: ${(e as Error).message}` };
  }
  let fed = 0;
  let result: Buffer | undefined;
  return {
    ok: true,
    digest: {
      algorithm: name,
      update(bytes: Uint8Array): void {
        if (result || bytes.length === 0) return;
        hash.update(bytes);
        fed += bytes.length;
      },
      get bytes() {
        return fed;
      },
      final(): Buffer {
        result ??= hash.digest();
        return result;
      },
    },
  };
}

export function toHex(digest: Uint8Array): string {
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('hex');
}
