import type { Readable } from 'node:stream';
import { Invalid } from '../../platform/errors/errors.js';
import { besideMe, startModuleWorker } from '../../platform/workers.js';
import type { MobileRule } from '../../phones/phones.js';
import type { AccountRow } from './import.js';

/**
 * Reads an accounts CSV on a second core. The worker thread (import.worker.ts) parses the
 * CSV and validates every row (libphonenumber's mobile check is the dearest part) while
 * this thread writes the previous batch to the database; on this 2-core machine that was
 * about 40 % of the import's time moved off the writer. Bounded: at most
 * MAX_CHUNKS_IN_FLIGHT chunks of the input (64 KB each from a file) are ahead of the
 * writer, however long the file is.
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
