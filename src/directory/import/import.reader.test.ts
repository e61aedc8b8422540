import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { Invalid } from '../../platform/errors/errors.js';
import { type ParsedItem, readAccountRecords } from './import.reader.js';

const HEADER = 'organisation_code,email,display_name,business_area,mobile,roles';

async function collect(input: Readable): Promise<ParsedItem[]> {
  const out: ParsedItem[] = [];
  for await (const items of readAccountRecords(input, { fileName: 'a.csv' })) out.push(...items);
  return out;
}

/** A stream of many small chunks, so records straddle the chunks the reader sends to its thread. */
function chunked(text: string, size: number): Readable {
  const parts: Buffer[] = [];
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return Readable.from(parts);
}

test('records come back in file order with their source lines, however the input is chunked', async () => {
  const lines = [HEADER];
  for (let i = 0; i < 3000; i++) {
    if (i === 1000) lines.push('A1,"multi@example.test","Two\r\nLines",IT,,user'); // one record over two lines (a name may not hold a line break)
    else if (i === 2999) lines.push('A1,bad@example.test,"unterminated,IT,,user'); // malformed quoting (it runs to the end)
    else if (i === 2500) lines.push('A1,not-an-address,Name,IT,,user');
    else lines.push(`A1,p${i}@example.test,Person ${i},IT,,user`);
  }
  const text = lines.join('\r\n') + '\r\n';
  for (const size of [7, 1000, 1 << 20]) {
    const items = await collect(chunked(text, size));
    const rows = items.filter((x) => x.kind === 'row');
    const rejects = items.filter((x) => x.kind === 'reject');
    assert.equal(rows[0]!.line, 2, `chunk ${size}: first data line`);
    const multi = rejects.find((x) => /control characters/.test(x.reason));
    assert.equal(multi?.line, 1002, `chunk ${size}: the two-line record is rejected by the line it starts on`);
    const after = items.find((x) => x.kind === 'row' && x.row.email === 'p1001@example.test')!;
    assert.equal(after.line, 1004, `chunk ${size}: lines after it are not shifted`);
    assert.ok(rejects.some((r) => r.line === 2503 && /email/i.test(r.reason)), `chunk ${size}: invalid address rejected by its line: ${JSON.stringify(rejects)}`);
    assert.ok(rejects.some((r) => /malformed/.test(r.reason)), `chunk ${size}: malformed quoting reported`);
    assert.equal(rows.length, 2997, `chunk ${size}: every other record is a row`);
    const emails = rows.map((x) => (x as { row: { email: string } }).row.email);
    const numbered = emails.filter((e) => /^p\d+@/.test(e)).map((e) => Number(/^p(\d+)@/.exec(e)![1]));
    assert.deepEqual(numbered, [...numbered].sort((a, b) => a - b), `chunk ${size}: order kept`);
  }
});

test('a wrong header refuses the file before any record; an empty file too', async () => {
  await assert.rejects(collect(Readable.from(['organisation_code,email,name\r\nA1,a@example.test,A\r\n'])), (e: Error) => e instanceof Invalid && /Nothing was imported/.test(e.message));
  await assert.rejects(collect(Readable.from([''])), (e: Error) => e instanceof Invalid && /empty/.test(e.message));
});

test("the input's read error ends the import with that error", async () => {
  let sent = 0;
  const failing = new Readable({
    read() {
      if (sent++ === 0) this.push(`${HEADER}\r\nA1,a@example.test,A,IT,,user\r\n`);
      else this.destroy(new Error('disk went away'));
    },
  });
  await assert.rejects(collect(failing), /disk went away/);
});

test('the reader stays a bounded distance ahead of a slow writer', async () => {
  let pulled = 0;
  const row = 'A1,x@example.test,Somebody,IT,,user\r\n';
  const endless = new Readable({
    read() {
      pulled++;
      this.push(pulled === 1 ? `${HEADER}\r\n` : row.repeat(100));
    },
  });
  const reader = readAccountRecords(endless, { fileName: 'endless.csv' });
  await reader.next(); // the writer takes one batch, then stalls
  await new Promise((r) => setTimeout(r, 300));
  const ahead = pulled;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(pulled, ahead, 'nothing more is read while the writer waits');
  assert.ok(ahead < 64, `read ${ahead} chunks ahead of the writer`);
  await reader.return(undefined);
  assert.ok(endless.destroyed, 'stopping early releases the input');
});
