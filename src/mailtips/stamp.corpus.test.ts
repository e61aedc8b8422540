import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
// @ts-expect-error mailsplit ships no types
import { Splitter } from 'mailsplit';
import { MARKER } from './banner.js';
import type { TipDecision } from './mailtips.js';
import { scanAccountLinkLure } from './lure.js';
import { stampTips, stripImitations } from './stamp.js';
import { CORPORA_DIR, peerMissing, requirePeer } from '../platform/testing/peers.js';

const corpus = path.join(CORPORA_DIR, 'mime');
const decision: TipDecision = { firstContact: true, lowVolume: true, senderCount: 2, threshold: 5, windowDays: 90, accountLinkWarning: true, exempt: null };
const opts = { serviceName: 'Postwarden Mail', noReplyAddress: 'no-reply@postwarden.test' };

interface SplitNode { contentType?: string; multipart?: string | false; partNr?: Array<number | string>; encoding?: string; disposition?: string | false; parentNode?: SplitNode | false }

/** Inside a message/rfc822 part, or a child of multipart/digest (message/rfc822 by default, RFC 2046). */
function inForwardedMessage(n: SplitNode): boolean {
  for (let p = n.parentNode; p; p = p.parentNode) if (p.contentType === 'message/rfc822' || p.contentType === 'multipart/digest') return true;
  return false;
}

/** The part tree as mailsplit (mailparser's splitter) sees it: one line per node. */
async function partTree(raw: Buffer): Promise<string[]> {
  const nodes: string[] = [];
  const splitter = new Splitter();
  splitter.on('data', (d: { type: string } & SplitNode) => {
    if (d.type === 'node') nodes.push(`${(d.partNr ?? []).join('.')} ${d.contentType} ${d.multipart || ''} ${d.encoding ?? ''} ${inForwardedMessage(d) ? 'forwarded' : ''} ${d.disposition || ''}`);
  });
  await new Promise<void>((resolve, reject) => {
    splitter.on('end', resolve);
    splitter.on('error', reject);
    Readable.from([raw]).pipe(splitter);
  });
  return nodes;
}

/** True when `small` is `big` with bytes removed (so stamping only inserted, keeping every original byte in order). */
function isSubsequence(small: Buffer, big: Buffer): boolean {
  let i = 0;
  for (let j = 0; j < big.length && i < small.length; j++) if (big[j] === small[i]) i++;
  return i === small.length;
}

const files = peerMissing('corpora') ? [] : readdirSync(corpus).filter((f) => f.endsWith('.eml')).sort();

test('every corpus message: same part tree after stamping, banner in every text body mailparser shows, attachments identical', { skip: requirePeer('corpora', 'the MIME corpus stamping check') }, async () => {
  assert.ok(files.length > 0, `no .eml files in ${corpus}`);
  for (const f of files) {
    const raw = readFileSync(path.join(corpus, f));
    const stamped = stampTips(stripImitations(raw), decision, opts);
    assert.deepEqual(await partTree(stamped), await partTree(raw), `${f}: part tree changed`);
    // None of the corpus needs re-encoding (no base64 HTML, UTF-16 or BOM body): pure insertion.
    assert.ok(isSubsequence(raw, stamped), `${f}: original bytes not all kept`);
    const before = await simpleParser(raw);
    const after = await simpleParser(stamped);
    assert.match(after.headers.get('x-postwarden-safety-tip')?.toString() ?? '', /^first-contact; low-volume count=2 threshold=5 window=90d; account-link$/, f);
    // A text/html or text/plain body part (not inside a forwarded message, not an attachment) gets its banner.
    const tree = await partTree(raw);
    const hasBody = (type: string): boolean => tree.some((n) => n.includes(` ${type} `) && !n.includes(' forwarded ') && !n.endsWith('attachment'));
    if (hasBody('text/html')) assert.ok(String(after.html).includes(`data-${MARKER}`), `${f}: no HTML banner`);
    if (hasBody('text/plain')) assert.ok(String(after.text).includes(`(${MARKER})`), `${f}: no text banner`);
    assert.equal(after.attachments.length, before.attachments.length, `${f}: attachment count`);
    for (let i = 0; i < before.attachments.length; i++) {
      assert.ok(before.attachments[i]!.content.equals(after.attachments[i]!.content), `${f}: attachment ${i} changed`);
    }
    // Stripping our own stamp restores the message (no banner left), and stamping is idempotent after it.
    const restripped = stripImitations(stamped);
    assert.ok(!restripped.toString('latin1').toLowerCase().includes('x-postwarden-safety-tip:'), `${f}: header survived strip`);
    const again = await simpleParser(restripped);
    assert.ok(!String(again.html || '').includes(`data-${MARKER}`), `${f}: HTML banner survived strip`);
    assert.ok(!String(again.text || '').includes(`(${MARKER})`), `${f}: text banner survived strip`);
    assert.equal(typeof scanAccountLinkLure(raw), 'boolean');
  }
});
