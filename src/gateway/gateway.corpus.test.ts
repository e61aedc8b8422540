import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import type { DatabaseHandle } from '../platform/db/db.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { CORPORA_DIR, requirePeer } from '../platform/testing/peers.js';
import { type TestGateway, sendRaw, startTestGateway } from './gateway.testing.js';

/**
 * Every message of ../shared/corpora/mime/ (charsets, encodings, broken and deep MIME)
 * goes through the whole gateway (authentication, stripping, tips, stamping, Maildir)
 * without a crash and arrives with its MIME structure intact.
 */

const require = createRequire(import.meta.url);
const { Splitter } = require('mailsplit') as { Splitter: new () => NodeJS.ReadWriteStream };
const CORPUS = path.join(CORPORA_DIR, 'mime');
const corpusSkip = requirePeer('corpora', 'the MIME corpus through the gateway');

/** The MIME tree as mailsplit sees it: one "part-number content-type" line per node. */
async function structure(raw: Buffer): Promise<string[]> {
  const out: string[] = [];
  const splitter = new Splitter();
  splitter.on('data', (d: { type: string; partNr?: string[]; contentType?: string | false; multipart?: string | false }) => {
    if (d.type === 'node') out.push(`${(d.partNr ?? []).join('.') || 'root'} ${d.contentType || '(none)'}${d.multipart ? ` multipart/${d.multipart}` : ''}`);
  });
  await new Promise<void>((resolve, reject) => {
    splitter.on('end', resolve);
    splitter.on('error', reject);
    splitter.end(raw);
  });
  return out;
}

/** The delivered copy without the trace and tip header fields we put in front. */
function originalPart(delivered: string): Buffer {
  const ours = /^(Return-Path|Delivered-To|X-Postwarden-Safety-Tip|Received-SPF|Authentication-Results|Received): [^\r\n]*\r?\n(?:[ \t][^\r\n]*\r?\n)*/;
  let s = delivered;
  for (let i = 0; i < 6; i++) s = s.replace(ours, '');
  return Buffer.from(s, 'latin1');
}

const files = corpusSkip ? [] : readdirSync(CORPUS).filter((f) => f.endsWith('.eml')).sort();

describe('MIME corpus through the gateway [sqlite]', { skip: corpusSkip }, () => {
  let h: DatabaseHandle & { drop(): Promise<void> };
  let g: TestGateway;
  let rcpt: string;
  before(async () => {
    if (!files.length) return;
    h = await createTestDatabase('sqlite');
    const org = await makeOrganisation(h.db);
    rcpt = (await makeAccount(h.db, { organisationId: org.id, email: `corpus@${org.domain}` })).email;
    g = await startTestGateway(h.db);
  });
  after(async () => {
    await g?.close();
    await h?.drop();
  });

  test('every corpus message passes with its structure intact', async (t) => {
    assert.ok(files.length > 0, `no .eml files in ${CORPUS}`);
    let n = 0;
    for (const f of files) {
      const raw = readFileSync(path.join(CORPUS, f));
      const dir = path.join(g.config.dataDir, 'mail', rcpt, 'new');
      const names = (): string[] => (existsSync(dir) ? readdirSync(dir) : []);
      const before = new Set(names());
      const r = await sendRaw(g.port, { from: `sender${n++}@corpus.example`, to: [rcpt], raw });
      assert.equal(r.code, 250, `${f}: ${r.response}`);
      const added = names().filter((name) => !before.has(name));
      assert.equal(added.length, 1, `${f}: delivered once`);
      const delivered = readFileSync(path.join(dir, added[0]!), 'latin1');
      assert.match(delivered, /^Return-Path: /, `${f}: our trace fields`);
      // Compare the same line endings: SMTP carries CRLF whatever the file uses.
      const sent = Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
      assert.deepEqual(await structure(originalPart(delivered)), await structure(sent), `${f}: MIME structure changed`);
    }
  });
});
