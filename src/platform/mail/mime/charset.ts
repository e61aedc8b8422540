/**
 * Charsets of MIME text: one decoder per label, cached. Pure; never throws.
 */
import { TextDecoder } from 'node:util';

const decoders = new Map<string, TextDecoder | null>();

/** The decoder for a charset label (quotes and case ignored; '' is UTF-8), or null for a charset we cannot read. */
export function charsetDecoder(charset: string): TextDecoder | null {
  const label = charset.replace(/^["']|["']$/g, '') || 'utf-8';
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label === 'ks_c_5601-1987' ? 'euc-kr' : label);
    } catch {
      d = null;
    }
    if (decoders.size < 200) decoders.set(label, d);
  }
  return d;
}

/** Decodes bytes in a charset to a string; unknown charsets fall back to latin1 (ASCII stays readable), invalid bytes become U+FFFD. */
export function decodeCharset(bytes: Buffer, charset: string): string {
  const d = charsetDecoder(charset);
  return d ? d.decode(bytes) : bytes.toString('latin1', 0, bytes.length);
}
