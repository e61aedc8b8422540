import { parentPort, workerData } from 'node:worker_threads';
import { parse } from 'csv-parse';
import { ACCOUNT_HEADER, CSV_PARSE_OPTIONS, LineTracker, mapHeader, parseAccountRecord } from './import.js';
import type { FromParser, ParsedItem, ReaderSetup, ToParser } from './import.reader.js';

/**
 * The accounts CSV parser thread (started by import.reader.ts): csv-parse, line numbers and
 * row validation, answering every chunk it is given with the records it completed.
 */

const port = parentPort!;
const setup = workerData as ReaderSetup;
const post = (m: FromParser): void => port.postMessage(m);

const lines = new LineTracker();
let items: ParsedItem[] = [];
let positions: number[] | undefined;
let refused = false;

const parser = parse(CSV_PARSE_OPTIONS);

parser.on('skip', (err: Error & { lines?: number }) => {
  items.push({ kind: 'reject', line: lines.correct(err.lines ?? 0), reason: `the CSV is malformed here: ${err.message}` });
});

parser.on('data', ({ record, info }: { record: string[]; info: { lines: number } }) => {
  if (refused) return;
  if (!positions) {
    const header = mapHeader(ACCOUNT_HEADER, record);
    if (!header.ok) {
      refused = true;
      post({ type: 'invalid', message: `${setup.fileName}: ${header.reason}. Nothing was imported.` });
      return;
    }
    positions = header.row;
    return;
  }
  const line = lines.startOf(record, info.lines);
  const parsed = parseAccountRecord(record, positions, setup.mobileRule);
  items.push(parsed.ok ? { kind: 'row', line, row: parsed.row } : { kind: 'reject', line, reason: parsed.reason });
});

parser.on('error', (err: Error) => post({ type: 'error', message: err.message }));

parser.on('end', () => {
  if (refused) return;
  if (!positions) {
    post({ type: 'invalid', message: `${setup.fileName}: the file is empty; its first row must name the columns ${ACCOUNT_HEADER.join(',')}. Nothing was imported.` });
    return;
  }
  post({ type: 'items', items, ack: 0 });
  items = [];
  post({ type: 'done' });
});

port.on('message', (m: ToParser) => {
  if (m.type === 'end') {
    parser.end();
    return;
  }
  parser.write(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), () => {
    if (refused) return;
    post({ type: 'items', items, ack: 1 });
    items = [];
  });
});
