/**
 * Whole reports are kept, but not twice: where a sample is a verbatim slice of its report
 * (a message/rfc822 part sent 7bit/8bit, as mail clients forward, an inline forward, an
 * API body), the stored report is the rest (a "skeleton") plus where each sample goes
 * back in. The report is rebuilt byte for byte from the skeleton and the sample blobs,
 * and checked against its SHA-256. Pure: no I/O.
 */

export interface Splice {
  /** Offset in the skeleton where the sample's bytes go back in. */
  at: number;
  sha256: string;
  length: number;
}

/** Where `part` sits inside `whole` when it is a slice of it (same memory), or null. */
export function sliceOffset(whole: Buffer, part: Buffer): number | null {
  if (part.buffer !== whole.buffer || part.length === 0) return null;
  const off = part.byteOffset - whole.byteOffset;
  return off >= 0 && off + part.length <= whole.length ? off : null;
}

/** The skeleton of a report and its splice points, given its samples (those that are slices of it are cut out). */
export function cutSamples(raw: Buffer, samples: readonly { bytes: Buffer; sha256: string }[]): { skeleton: Buffer; splices: Splice[] } {
  const spans = samples
    .map((s) => ({ start: sliceOffset(raw, s.bytes), length: s.bytes.length, sha256: s.sha256 }))
    .filter((s): s is { start: number; length: number; sha256: string } => s.start !== null)
    .sort((a, b) => a.start - b.start);
  const pieces: Buffer[] = [];
  const splices: Splice[] = [];
  let cursor = 0;
  let at = 0;
  for (const s of spans) {
    if (s.start < cursor) continue; // overlapping slices cannot both be cut out
    pieces.push(raw.subarray(cursor, s.start));
    at += s.start - cursor;
    splices.push({ at, sha256: s.sha256, length: s.length });
    cursor = s.start + s.length;
  }
  pieces.push(raw.subarray(cursor));
  return { skeleton: splices.length ? Buffer.concat(pieces) : raw, splices };
}

/** The report rebuilt from its skeleton and the sample bytes (by SHA-256). @throws Error when a sample is missing */
export function rebuildRaw(skeleton: Buffer, splices: readonly Splice[], sample: (sha256: string) => Buffer | undefined): Buffer {
  const pieces: Buffer[] = [];
  let cursor = 0;
  for (const s of splices) {
    const bytes = sample(s.sha256);
    if (!bytes || bytes.length !== s.length) throw new Error(`report sample ${s.sha256} missing`);
    pieces.push(skeleton.subarray(cursor, s.at), bytes);
    cursor = s.at;
  }
  pieces.push(skeleton.subarray(cursor));
  return Buffer.concat(pieces);
}
