/**
 * The MIME toolkit: the one reader of headers, MIME trees, encoded words, parameters,
 * transfer encodings and charsets for the gateway, MailTips and reports. Shared machinery
 * with no business rule; what a tip, a lure or a sample is stays in its capability.
 */
export { charsetDecoder, decodeCharset } from './charset.js';
export {
  addressesIn, fieldValue, fieldValues, headerFields, type HeaderField, lineBreakOf, type MessageHead, parseHead, prependFields, removeFields, withEol,
} from './headers.js';
export { type HeaderParams, paramText, parseHeaderValue, parseParams } from './params.js';
export { decodeBody, decodeText, encodeBody, filenameOf, findBodyParts, isBodyText, type Transfer, transferOf } from './part.js';
export { decodeBase64, decodeQuotedPrintable, encodeBase64Lines, encodeQuotedPrintable } from './transfer.js';
export { leaves, MIME_CONTENT, MIME_DISPLAY, type MimePart, type MimeReading, parseMime, splitMultipart } from './tree.js';
export { decodeWords, encodeWord } from './words.js';
