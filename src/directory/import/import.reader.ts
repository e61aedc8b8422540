import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { Invalid } from '../../platform/errors/errors.js';
import { besideMe, startModuleWorker } from '../../platform/workers.js';
import type { MobileRule } from '../../phones/phones.js';
import { type AccountRow, CSV_PARSE_OPTIONS, type ImportTally, LineTracker, mapHeader } from './import.js';

/**
 * The CSV readers of the import. An accounts file is read on a second core: the worker
 * thread (import.worker.ts) parses the CSV and validates every row (libphonenumber's mobile
 * check is the dearest part) while this thread writes the previous batch to the database;
 * on this 2-core machine that was about 40 % of the import's time moved off the writer.
 * Bounded: at most MAX_CHUNKS_IN_FLIGHT chunks of the input (64 KB each from a file) are
 * ahead of the writer, however long the file is. An organisations file (thousands of rows)
 * is read on this thread.
 */

/** One data record of the file: a valid row, or a rejection (with its line) that wrote nothing. */
export type ParsedItem = { kind: 'row'; line: number; row: AccountRow } | { kind: 'reject'; line: number; reason: string };

export interface ReaderSetup {
  fileName: string;
  mobileRule?: MobileRule;
}

/** Messages to the worker. */
export type ToParser = { type: 'chunk'; data: Uint8Array } | { type: 'end' };

/** Messages from the worker: `items` answers one chunk (or the end), in order. */
export type FromParser =
  | { type: 'items'; items: ParsedItem[]; ack: number }
  | { type: 'done' }
  | { type: 'invalid'; message: string }
  | { type: 'error'; message: string };

const MAX_CHUNKS_IN_FLIGHT = 16;

export interface ReadOptions extends ReaderSetup {
  totalBytes?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

/**
 * The file's data records in order, a chunk's worth at a time.
 * @throws Invalid when the header row is missing or wrong (before any record is yielded);
 *   the input's read error; Error when the parser thread fails
 */
export async function* readAccountRecords(input: Readable, opts: ReadOptions): AsyncGenerator<ParsedItem[]> {
  const setup: ReaderSetup = { fileName: opts.fileName, mobileRule: opts.mobileRule };
  const worker = startModuleWorker(besideMe(import.meta.url, 'import.worker'), { workerData: setup });
  const inbox: (FromParser | { type: 'stopped'; message: string })[] = [];
  let wake: (() => void) | null = null;
  const deliver = (m: (typeof inbox)[number]): void => {
    inbox.push(m);
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', deliver);
  worker.on('error', (err: Error) => deliver({ type: 'stopped', message: err.message }));
  worker.on('exit', (code) => deliver({ type: 'stopped', message: `exited with code ${code}` }));
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const total = opts.totalBytes ?? 0;
  let bytes = 0;
  let inFlight = 0;
  let ended = false;
  try {
    for (;;) {
      while (!ended && inFlight < MAX_CHUNKS_IN_FLIGHT) {
        const next = await chunks.next();
        if (next.done) {
          ended = true;
          worker.postMessage({ type: 'end' } satisfies ToParser);
          break;
        }
        const data = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        bytes += data.length;
        opts.onProgress?.(bytes, total);
        worker.postMessage({ type: 'chunk', data } satisfies ToParser);
        inFlight++;
      }
      while (!inbox.length) await new Promise<void>((resolve) => { wake = resolve; });
      const m = inbox.shift()!;
      if (m.type === 'items') {
        inFlight -= m.ack;
        if (m.items.length) yield m.items;
      } else if (m.type === 'done') {
        return;
      } else if (m.type === 'invalid') {
        throw new Invalid(m.message);
      } else {
        throw new Error(`${opts.fileName}: the CSV reader failed (${m.message}); nothing after the last imported batch was written`);
      }
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
    input.destroy();
  }
}

export interface CsvRecord {
  fields: string[];
  /** The line the record starts on (the header is line 1). */
  line: number;
  /** Where each expected column sits in `fields`. */
  positions: number[];
}

/**
 * The data records of a CSV stream with their line numbers, after checking the header, read
 * on this thread (organisations: a few thousand rows). Malformed records are counted and
 * rejected on `tally`.
 * Records are arrays rather than csv-parse `columns` objects: a row with too few or too many
 * fields is then visible (and rejected with its line) instead of silently padded or cut.
 * Malformed quoting is reported as a rejection of that line; parsing carries on.
 * @throws Invalid when the header row is missing or wrong, before any record is yielded
 */
export async function* readCsvRecords(input: Readable, expected: readonly string[], opts: ReadOptions, tally: ImportTally): AsyncGenerator<CsvRecord> {
  const parser = parse(CSV_PARSE_OPTIONS);
  const lines = new LineTracker();
  parser.on('skip', (err: Error & { lines?: number }) => {
    tally.rows++;
    tally.reject(lines.correct(err.lines ?? 0), `the CSV is malformed here: ${err.message}`);
  });
  input.on('error', (err) => parser.destroy(err)); // pipe() does not forward a read error
  input.pipe(parser);
  let bytes = 0;
  const total = opts.totalBytes ?? 0;
  input.on('data', (chunk: Buffer | string) => {
    bytes += chunk.length;
    opts.onProgress?.(bytes, total);
  });
  let positions: number[] | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!positions) {
        const header = mapHeader(expected, record);
        if (!header.ok) throw new Invalid(`${opts.fileName}: ${header.reason}. Nothing was imported.`);
        positions = header.row;
        continue;
      }
      tally.rows++;
      yield { fields: record, line: lines.startOf(record, info.lines), positions };
    }
  } finally {
    input.unpipe(parser);
    input.destroy();
  }
  if (!positions) throw new Invalid(`${opts.fileName}: the file is empty; its first row must name the columns ${expected.join(',')}. Nothing was imported.`);
}
