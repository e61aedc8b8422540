/**
 * RFC 2047 encoded words (`=?utf-8?B?…?=`) in header text, both ways. Pure; never throws.
 */
import { charsetDecoder } from './charset.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([bqBQ])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded words for display: white space between two words goes, an
 * RFC 2231 language (`utf-8*en`) is ignored, a word in a charset we cannot read is left as it is.
 */
export function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  return value.replace(/(=\?[^?\s]+\?[bqBQ]\?[^?\s]*\?=)\s+(?==\?)/g, '$1').replace(ENCODED_WORD, (whole, charset: string, enc: string, text: string) => {
    const decoder = charsetDecoder(charset.split('*')[0]!.toLowerCase());
    if (!decoder) return whole;
    const bytes = enc.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    return decoder.decode(bytes);
  });
}

/** Text as one header word: itself when printable ASCII, else one UTF-8 base64 encoded word. */
export function encodeWord(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?utf-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}
