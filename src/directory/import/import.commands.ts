import { newId } from '../../platform/ids.js';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { recordAudit } from '../../audit/audit.commands.js';
import type { Ctx } from '../../platform/context.js';
import type { Db } from '../../platform/db/db.js';
import type { MobileRule } from '../../phones/phones.js';
import { grantsFor, type RoleGrant } from '../directory.js';
import { authorizePlatformAdmin } from '../directory.policy.js';
import { domainOwners, replaceOrganisationDomains, upsertOrganisation } from '../directory.repo.js';
import {
  type AccountRow, ImportTally, type ImportResult, ORGANISATION_HEADER, type OrganisationRow, parseOrganisationRecord,
  privilegedRoleChange, sameGrants,
} from './import.js';
import { readAccountRecords, readCsvRecords } from './import.reader.js';
import {
  type AccountUpsert, type ImportedOrganisation, MAX_BATCH, findAccountsByEmails, loadOrganisationIds, loadOrganisationsWithDomains,
  replaceRolesOfAccounts, upsertAccounts, withBulkLoad,
} from './import.repo.js';

/**
 * Streaming CSV import of organisations and accounts. The file is read as a stream and
 * accounts are written a batch at a time, so memory stays flat however long the file is
 * (1.5 million rows). Each row is validated before anything is written for it; each batch
 * commits with its audit events; a batch the database refuses is retried row by row so
 * only the bad row is rejected.
 */

export interface ImportOptions {
  /** Called as the file is read, for a progress bar. totalBytes is 0 when unknown. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Accounts per transaction; default and most MAX_BATCH (fewer commits are faster). */
  batchSize?: number;
  /** The UK-mobile rule (setting allowCrownDependencyMobiles); default: Crown dependencies allowed. */
  mobileRule?: MobileRule;
}

export interface StreamImportOptions extends ImportOptions {
  /** Named in audit events and errors. */
  fileName: string;
  totalBytes?: number;
}

/**
 * Imports an organisations CSV file. @throws Forbidden (not a platform admin), Invalid
 * (header row wrong: nothing written), or the file's read error
 */
export async function importOrganisationsFile(db: Db, ctx: Ctx, filePath: string, opts: ImportOptions = {}): Promise<ImportResult> {
  authorizePlatformAdmin(ctx.actor);
  const { size } = await stat(filePath);
  return importOrganisationsStream(db, ctx, createReadStream(filePath), { ...opts, fileName: path.basename(filePath), totalBytes: size });
}

/** Imports an accounts CSV file. @throws Forbidden, Invalid (header row wrong: nothing written), or the file's read error */
export async function importAccountsFile(db: Db, ctx: Ctx, filePath: string, opts: ImportOptions = {}): Promise<ImportResult> {
  authorizePlatformAdmin(ctx.actor);
  const { size } = await stat(filePath);
  return importAccountsStream(db, ctx, createReadStream(filePath), { ...opts, fileName: path.basename(filePath), totalBytes: size });
}

/**
 * Imports organisations from a stream. Creates or updates each by code; an unchanged row
 * writes nothing. A row naming a domain that another organisation owns is rejected.
 * One audit event per created or updated organisation, in its transaction.
 * @throws Forbidden, Invalid (header row wrong: nothing written)
 */
export async function importOrganisationsStream(db: Db, ctx: Ctx, input: Readable, opts: StreamImportOptions): Promise<ImportResult> {
  authorizePlatformAdmin(ctx.actor);
  const started = performance.now();
  const tally = new ImportTally();
  // Organisations are few (10k): one transaction each keeps the domain-ownership check simple.
  const known = await loadOrganisationsWithDomains(db);
  for await (const rec of readCsvRecords(input, ORGANISATION_HEADER, opts, tally)) {
    const parsed = parseOrganisationRecord(rec.fields, rec.positions);
    if (!parsed.ok) {
      tally.reject(rec.line, parsed.reason);
      continue;
    }
    try {
      await writeOrganisation(db, ctx, parsed.row, known.get(parsed.row.code), rec.line, tally, known);
    } catch (err) {
      tally.reject(rec.line, `the database refused the row: ${(err as Error).message}`);
    }
  }
  return tally.result(performance.now() - started);
}

async function writeOrganisation(
  db: Db, ctx: Ctx, row: OrganisationRow, existing: ImportedOrganisation | undefined, line: number, tally: ImportTally,
  known: Map<string, ImportedOrganisation>,
): Promise<void> {
  const domains = [...row.domains].sort();
  const sameDomains = existing !== undefined && existing.domains.join(';') === domains.join(';');
  if (existing && sameDomains && existing.name === row.name && existing.laContact === row.laContact
    && existing.highRiskAreas.join(';') === row.highRiskAreas.join(';')) {
    tally.unchanged++;
    return;
  }
  const now = ctx.now.toISOString();
  const stored = await db.transaction().execute(async (trx) => {
    const owners = await domainOwners(trx, domains, existing?.id ?? '');
    if (owners.length) return { rejected: `domain "${owners[0]!.domain}" belongs to another organisation` } as const;
    const { id, created } = await upsertOrganisation(trx, {
      id: existing?.id ?? newId(), code: row.code, name: row.name, highRiskAreas: row.highRiskAreas, laContact: row.laContact, now,
    });
    if (!sameDomains) await replaceOrganisationDomains(trx, id, domains);
    await recordAudit(trx, ctx, {
      action: created ? 'organisation.create' : 'organisation.update', organisationId: id, target: `organisation:${id}`,
      details: { code: row.code, via: 'import', line, domains },
    });
    return { id, created, rejected: undefined };
  });
  if (stored.rejected !== undefined) {
    tally.reject(line, stored.rejected);
    return;
  }
  if (stored.created) tally.created++;
  else tally.updated++;
  known.set(row.code, { id: stored.id, ...row, domains });
}

interface PendingAccount extends AccountRow {
  line: number;
  organisationId: string;
}

/**
 * Imports accounts from a stream, a batch per transaction. Creates or updates each by
 * address (the later row wins when an address repeats); an unchanged row writes nothing.
 * New accounts are active with no password. Roles are replaced with the row's roles
 * (local-admin scoped to the account's organisation). Each committed batch writes one
 * `directory.import.accounts` audit event, plus `account.role.change` for every row that
 * changes privileged roles. @throws Forbidden, Invalid (header row wrong: nothing written),
 * Error when the database refuses every row of a batch (earlier batches stay imported)
 */
export async function importAccountsStream(db: Db, ctx: Ctx, input: Readable, opts: StreamImportOptions): Promise<ImportResult> {
  authorizePlatformAdmin(ctx.actor);
  const started = performance.now();
  const r = await withBulkLoad(db, () => importAccountsTuned(db, ctx, input, opts));
  // The closing checkpoint belongs to the import's time too.
  const durationMs = performance.now() - started;
  const rows = r.created + r.updated + r.unchanged + r.rejectedCount;
  return { ...r, durationMs: Math.round(durationMs), rowsPerSecond: durationMs > 0 ? Math.round((rows * 1000) / durationMs) : 0 };
}

async function importAccountsTuned(db: Db, ctx: Ctx, input: Readable, opts: StreamImportOptions): Promise<ImportResult> {
  const started = performance.now();
  const batchSize = Math.min(Math.max(Math.trunc(opts.batchSize ?? MAX_BATCH), 1), MAX_BATCH);
  const tally = new ImportTally();
  const orgIds = await loadOrganisationIds(db);
  let batch: PendingAccount[] = [];
  const inBatch = new Set<string>();
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    const rows = batch;
    batch = [];
    inBatch.clear();
    await writeAccountBatchOrRows(db, ctx, rows, opts.fileName, tally);
  };
  // Parsing and validation run on another thread while this one writes (import.reader.ts).
  for await (const items of readAccountRecords(input, opts)) {
    for (const item of items) {
      tally.rows++;
      if (item.kind === 'reject') {
        tally.reject(item.line, item.reason);
        continue;
      }
      const organisationId = orgIds.get(item.row.organisationCode);
      if (!organisationId) {
        tally.reject(item.line, `organisation "${item.row.organisationCode}" does not exist`);
        continue;
      }
      // One statement cannot upsert an address twice: write what came before, then the later row wins.
      if (inBatch.has(item.row.email) || batch.length >= batchSize) await flush();
      batch.push({ ...item.row, line: item.line, organisationId });
      inBatch.add(item.row.email);
    }
  }
  await flush();
  return tally.result(performance.now() - started);
}

async function writeAccountBatchOrRows(db: Db, ctx: Ctx, rows: PendingAccount[], fileName: string, tally: ImportTally): Promise<void> {
  try {
    addCounts(tally, await writeAccountBatch(db, ctx, rows, fileName));
    return;
  } catch (batchError) {
    if (rows.length === 1) {
      tally.reject(rows[0]!.line, `the database refused the row: ${(batchError as Error).message}`);
      return;
    }
    // Something in the batch broke a constraint: find it, and let the rest land.
    let refused = 0;
    for (const row of rows) {
      try {
        addCounts(tally, await writeAccountBatch(db, ctx, [row], fileName));
      } catch (err) {
        refused++;
        tally.reject(row.line, `the database refused the row: ${(err as Error).message}`);
      }
    }
    // Every row refused means the database, not the data, is the problem: stop rather than reject the whole file.
    if (refused === rows.length) {
      throw new Error(
        `${fileName}: import stopped at line ${rows[0]!.line}; the database refused every row of the batch (${(batchError as Error).message}). ` +
          'Earlier batches were imported; importing the file again is safe.',
      );
    }
  }
}

type Counts = { created: number; updated: number; unchanged: number };

function addCounts(tally: ImportTally, c: Counts): void {
  tally.created += c.created;
  tally.updated += c.updated;
  tally.unchanged += c.unchanged;
}

/** One transaction: read what exists, upsert what differs, replace changed roles, audit. */
async function writeAccountBatch(db: Db, ctx: Ctx, rows: readonly PendingAccount[], fileName: string): Promise<Counts> {
  const now = ctx.now.toISOString();
  return db.transaction().execute(async (trx) => {
    const existing = await findAccountsByEmails(trx, rows.map((r) => r.email));
    const counts: Counts = { created: 0, updated: 0, unchanged: 0 };
    const upserts: AccountUpsert[] = [];
    const newGrants: { row: PendingAccount; id?: string; before: RoleGrant[]; after: RoleGrant[] }[] = [];
    for (const row of rows) {
      const ex = existing.get(row.email);
      const after = grantsFor(row.roles, row.organisationId);
      const fieldsChanged = !ex || ex.organisationId !== row.organisationId || ex.displayName !== row.displayName
        || ex.businessArea !== row.businessArea || ex.mobile !== row.mobile;
      const rolesChanged = !ex || !sameGrants(ex.grants, after);
      if (!fieldsChanged && !rolesChanged) {
        counts.unchanged++;
        continue;
      }
      if (ex) counts.updated++;
      else counts.created++;
      if (fieldsChanged) upserts.push({ id: ex?.id ?? newId(), ...row });
      if (rolesChanged) newGrants.push({ row, id: ex?.id, before: ex?.grants ?? [], after });
    }
    const ids = await upsertAccounts(trx, upserts, now);
    const grantsById = new Map<string, RoleGrant[]>();
    const existingIds = new Set<string>();
    for (const g of newGrants) {
      if (g.id) existingIds.add(g.id);
      const id = ids.get(g.row.email) ?? g.id;
      if (!id) throw new Error(`account ${g.row.email} was not written`); // cannot happen: new rows are always upserted
      g.id = id;
      grantsById.set(id, g.after);
    }
    await replaceRolesOfAccounts(trx, grantsById, existingIds);
    for (const g of newGrants) {
      const change = privilegedRoleChange(g.before, g.after);
      if (!change) continue;
      await recordAudit(trx, ctx, {
        action: 'account.role.change', organisationId: g.row.organisationId, target: `account:${g.id}`,
        details: { ...change, via: 'import', file: fileName, line: g.row.line },
      });
    }
    await recordAudit(trx, ctx, {
      action: 'directory.import.accounts', target: `import:${fileName}`,
      details: { file: fileName, firstLine: rows[0]!.line, lastLine: rows[rows.length - 1]!.line, ...counts },
    });
    return counts;
  });
}
