import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { testConfig } from '../platform/testing/app.js';
import { createTestDatabase } from '../platform/testing/databases.js';
import { CORPORA_DIR, requirePeer } from '../platform/testing/peers.js';
import { cliContext } from '../platform/context.js';
import { ingestReportMail } from './reports.gateway.js';
import { getReportRawFor } from './reports.queries.js';
import { isOutlookMsg } from './intake.js';
import { reportWith } from './reports.testing.js';

/**
 * Every file of the shared corpora, wrapped as a report (attached as message/rfc822, both
 * base64 and as it is), is ingested without a crash, and the stored sample is the
 * attachment byte for byte. Read in place from ../shared/corpora; skipped loudly without it.
 */
const ROOT = CORPORA_DIR;
const DIRS = ['reports', 'mime'];

describe('shared corpora, wrapped as reports', { skip: requirePeer('corpora', 'the corpora wrapped as reports') }, () => {
  let handle: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  const config = testConfig({ reportMaxPerReporterPerHour: 100_000 });
  before(async () => { handle = await createTestDatabase('sqlite'); });
  after(async () => { await handle?.drop(); });

  for (const dir of DIRS) {
    test(`every file in corpora/${dir}`, { timeout: 300_000 }, async (t) => {
      const folder = path.join(ROOT, dir);
      assert.ok(existsSync(folder), `${folder} missing from the shared corpora`);
      const files = readdirSync(folder).filter((f) => !f.endsWith('.tsv') && !f.endsWith('.json') && !f.endsWith('.md'));
      assert.ok(files.length > 0, `no files in ${folder}`);
      for (const file of files) {
        const bytes = readFileSync(path.join(folder, file));
        for (const encoding of ['base64', '8bit'] as const) {
          // A raw (8bit) attachment cannot hold bytes that contain our boundary; the boundary is random, so it never does.
          const raw = reportWith([{ bytes, encoding }], { from: 'corpus@outside.example' });
          const { reportId } = await ingestReportMail(handle!.db, config, new Date(), raw, { mailFrom: 'corpus@outside.example', rcptTo: ['spamreports@postwarden.test'], remoteAddress: '127.0.0.1', internalSenderAccountId: null });
          const sample = await handle!.db.selectFrom('report_sample_links as l').innerJoin('report_samples as s', 's.id', 'l.sample_id')
            .innerJoin('report_blobs as b', 'b.sha256', 's.sha256').select(['s.sha256', 'b.content', 's.format']).where('l.report_id', '=', reportId).execute();
          assert.equal(sample.length, 1, `${file} (${encoding}): one sample`);
          // One corpus "eml" is really an Outlook .msg file: recognised by its signature, kept as it is.
          assert.equal(sample[0]!.format, isOutlookMsg(bytes) ? 'msg' : 'rfc822', `${file} (${encoding})`);
          assert.ok(Buffer.from(sample[0]!.content).equals(bytes), `${file} (${encoding}): stored sample differs from the attachment`);
          assert.equal(sample[0]!.sha256, createHash('sha256').update(bytes).digest('hex'));
          assert.ok((await getReportRawFor(handle!.db, cliContext(new Date()), reportId)).equals(raw), `${file} (${encoding}): the whole report rebuilds`);
        }
      }
    });
  }
});
