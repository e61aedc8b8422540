import { statSync } from 'node:fs';
import path from 'node:path';
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { importAccountsFile, importOrganisationsFile } from '../directory/import/import.commands.js';
import type { ImportResult } from '../directory/import/import.js';
import { cliContext } from '../platform/context.js';
import { DomainError } from '../platform/errors/errors.js';
import { configOrExit, fail, withDatabase } from './cli.shared.js';

type Importer = typeof importAccountsFile;

async function runImport(kind: string, file: string, importer: Importer, opts: { quiet?: boolean }): Promise<void> {
  const config = configOrExit();
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    fail(`cannot read ${file}`);
  }
  // A progress bar only on a terminal: logs and pipes get the summary alone.
  const bar = process.stderr.isTTY && !opts.quiet
    ? new SingleBar({ format: `${kind} |{bar}| {percentage}% · {value}/{total} MB · ETA {eta}s`, stream: process.stderr }, Presets.shades_classic)
    : undefined;
  bar?.start(Math.max(1, Math.round(size / 1e6)), 0);
  let result: ImportResult;
  try {
    result = await withDatabase(config, ({ db }) =>
      importer(db, cliContext(new Date()), file, {
        onProgress: (read) => bar?.update(Math.round(read / 1e6)),
        mobileRule: { allowCrownDependencies: config.allowCrownDependencyMobiles },
      }),
    );
  } catch (err) {
    bar?.stop();
    if (err instanceof DomainError) fail(`${path.basename(file)}: ${err.message}${err.problems.length ? '\n  ' + err.problems.join('\n  ') : ''}`);
    throw err;
  }
  bar?.update(Math.max(1, Math.round(size / 1e6)));
  bar?.stop();
  for (const r of result.rejected) process.stderr.write(`${path.basename(file)}: line ${r.line}: ${r.reason}\n`);
  if (result.rejectedCount > result.rejected.length) process.stderr.write(`… and ${result.rejectedCount - result.rejected.length} more rejected rows\n`);
  console.log(
    `${kind}: ${result.created} created, ${result.updated} updated, ${result.unchanged} unchanged, ${result.rejectedCount} rejected ` +
      `(${Math.round(result.rowsPerSecond).toLocaleString('en-GB')} rows/s, ${(result.durationMs / 1000).toFixed(1)} s)`,
  );
  if (result.rejectedCount > 0) process.exitCode = 1;
}

/** import organisations FILE, import accounts FILE. */
export function registerDataCommands(program: Command): void {
  const imp = program
    .command('import')
    .description('import the directory from CSV (idempotent: re-import updates; rejected rows are listed with line numbers and exit status 1)');
  imp
    .command('organisations <file>')
    .description('CSV header: code,name,domains,high_risk_areas,la_contact (";" separates several values)')
    .option('-q, --quiet', 'no progress bar')
    .action((file: string, opts: { quiet?: boolean }) => runImport('organisations', file, importOrganisationsFile, opts));
  imp
    .command('accounts <file>')
    .description('CSV header: organisation_code,email,display_name,business_area,mobile,roles (";" separates several roles)')
    .option('-q, --quiet', 'no progress bar')
    .action((file: string, opts: { quiet?: boolean }) => runImport('accounts', file, importAccountsFile, opts));
}
