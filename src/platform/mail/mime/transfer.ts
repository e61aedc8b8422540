/**
 * Content-Transfer-Encodings (RFC 2045): quoted-printable and base64, both ways. Pure
 * functions over bytes; decoding is lenient (as mail clients read) and never throws.
 */

/** Decodes base64 text; characters outside the alphabet (line breaks, junk) are skipped. */
export function decodeBase64(body: Buffer): Buffer {
  return Buffer.from(body.toString('latin1', 0, body.length), 'base64');
}

/** Decodes a quoted-printable body to bytes (lenient: bad escapes are kept as they are, white space before a soft break is allowed). */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== 61) {
      out[o++] = c;
      continue;
    }
    // Soft line break, tolerating whitespace between '=' and the line end.
    let j = i + 1;
    while (j < input.length && (input[j] === 32 || input[j] === 9)) j++;
    if (j < input.length && input[j] === 10) { i = j; continue; }
    if (j + 1 < input.length && input[j] === 13 && input[j + 1] === 10) { i = j + 1; continue; }
    if (j >= input.length) { i = j; continue; }
    const h = hexVal(input[i + 1]);
    const l = hexVal(input[i + 2]);
    if (h >= 0 && l >= 0) {
      out[o++] = h * 16 + l;
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

function hexVal(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

const HEX = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * Quoted-printable encoding (RFC 2045): lines of at most 76 characters, '=' and non-printable
 * bytes escaped, whitespace before a line end escaped. With `hardBreaks`, '\n' (or '\r\n') in
 * the input becomes a line break; otherwise it is escaped. The result ends without a break.
 */
export function encodeQuotedPrintable(bytes: Uint8Array, eol: string, hardBreaks = true): string {
  const out = Buffer.allocUnsafe(bytes.length * 3 + Math.ceil(bytes.length / 25) * 3 + 8);
  const crlf = eol === '\r\n';
  let o = 0;
  let lineStart = 0;
  const breakLine = (soft: boolean): void => {
    // Whitespace before a line end must be escaped.
    if (!soft && o > lineStart && (out[o - 1] === 32 || out[o - 1] === 9)) {
      const c = out[o - 1]!;
      out[o - 1] = 61;
      out[o++] = HEX[c >> 4]!;
      out[o++] = HEX[c & 15]!;
    }
    if (soft) out[o++] = 61;
    if (crlf) out[o++] = 13;
    out[o++] = 10;
    lineStart = o;
  };
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (hardBreaks && (c === 10 || (c === 13 && bytes[i + 1] === 10))) {
      if (c === 13) i++;
      breakLine(false);
      continue;
    }
    // Never start a line with '.', so a downstream hop that mishandles dot-stuffing cannot eat it.
    let literal = (c >= 33 && c <= 126 && c !== 61) || c === 32 || c === 9;
    if (o - lineStart + (literal ? 1 : 3) > 75) breakLine(true);
    if (literal && c === 46 && o === lineStart) literal = false;
    if (literal) out[o++] = c;
    else {
      out[o++] = 61;
      out[o++] = HEX[c >> 4]!;
      out[o++] = HEX[c & 15]!;
    }
  }
  if (o > lineStart && (out[o - 1] === 32 || out[o - 1] === 9)) {
    const c = out[o - 1]!;
    out[o - 1] = 61;
    out[o++] = HEX[c >> 4]!;
    out[o++] = HEX[c & 15]!;
  }
  return out.toString('latin1', 0, o);
}

/** Base64 in lines of 76 characters, each followed by `eol`. */
export function encodeBase64Lines(bytes: Buffer, eol: string): string {
  const b64 = bytes.toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += b64.slice(i, i + 76) + eol;
  return out;
}
