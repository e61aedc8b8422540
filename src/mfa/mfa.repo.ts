import type { Selectable } from 'kysely';
import type { Db } from '../platform/db/db.js';
import type { MfaFactorTable } from './mfa.tables.js';

/** MFA factors and recovery codes: the only SQL of the MFA capability. */

export interface Factor {
  id: string;
  accountId: string;
  kind: 'totp' | 'webauthn';
  name: string;
  status: 'pending' | 'active';
  secretEnc: string | null;
  lastStep: number | null;
  credentialId: string | null;
  publicKey: string | null;
  signCount: number | null;
  transports: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

function toFactor(r: Selectable<MfaFactorTable>): Factor {
  return {
    id: r.id, accountId: r.account_id, kind: r.kind, name: r.name, status: r.status, secretEnc: r.secret_enc,
    lastStep: r.last_step === null ? null : Number(r.last_step), credentialId: r.credential_id, publicKey: r.public_key,
    signCount: r.sign_count === null ? null : Number(r.sign_count), transports: r.transports ? (JSON.parse(r.transports) as string[]) : [],
    createdAt: r.created_at, lastUsedAt: r.last_used_at,
  };
}

/** Active factors of an account (pending enrolments excluded unless asked). */
export async function factorsOf(db: Db, accountId: string, opts: { includePending?: boolean } = {}): Promise<Factor[]> {
  let q = db.selectFrom('mfa_factors').selectAll().where('account_id', '=', accountId);
  if (!opts.includePending) q = q.where('status', '=', 'active');
  return (await q.orderBy('created_at').execute()).map(toFactor);
}

export async function findFactor(db: Db, accountId: string, id: string): Promise<Factor | undefined> {
  const r = await db.selectFrom('mfa_factors').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return r && toFactor(r);
}

export async function findFactorByCredentialId(db: Db, credentialId: string): Promise<Factor | undefined> {
  const r = await db.selectFrom('mfa_factors').selectAll().where('credential_id', '=', credentialId).where('status', '=', 'active').executeTakeFirst();
  return r && toFactor(r);
}

export async function insertFactor(
  trx: Db,
  f: Pick<Factor, 'id' | 'accountId' | 'kind' | 'name' | 'status' | 'secretEnc' | 'credentialId' | 'publicKey' | 'signCount' | 'transports' | 'createdAt'>,
): Promise<void> {
  await trx
    .insertInto('mfa_factors')
    .values({
      id: f.id, account_id: f.accountId, kind: f.kind, name: f.name, status: f.status, secret_enc: f.secretEnc, last_step: null,
      credential_id: f.credentialId, public_key: f.publicKey, sign_count: f.signCount, transports: JSON.stringify(f.transports),
      created_at: f.createdAt, last_used_at: null,
    })
    .execute();
}

/** Removes abandoned pending TOTP enrolments of an account. */
export async function deletePendingFactors(trx: Db, accountId: string): Promise<void> {
  await trx.deleteFrom('mfa_factors').where('account_id', '=', accountId).where('status', '=', 'pending').execute();
}

export async function activateFactor(trx: Db, id: string, at: string, lastStep: number | null): Promise<void> {
  await trx.updateTable('mfa_factors').set({ status: 'active', last_step: lastStep, last_used_at: at }).where('id', '=', id).execute();
}

/**
 * Records a TOTP use, only if no newer step was accepted meanwhile. The conditional
 * update makes the replay check hold under concurrency: of two requests with the same
 * code, exactly one updates a row. @returns whether this use won
 */
export async function recordTotpStep(trx: Db, id: string, step: number, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('mfa_factors')
    .set({ last_step: step, last_used_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Records a WebAuthn use with its new signature counter. */
export async function recordWebauthnUse(trx: Db, id: string, signCount: number, at: string): Promise<void> {
  await trx.updateTable('mfa_factors').set({ sign_count: signCount, last_used_at: at }).where('id', '=', id).execute();
}

export async function renameFactor(trx: Db, accountId: string, id: string, name: string): Promise<void> {
  await trx.updateTable('mfa_factors').set({ name }).where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function deleteFactor(trx: Db, accountId: string, id: string): Promise<void> {
  await trx.deleteFrom('mfa_factors').where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function replaceRecoveryCodes(trx: Db, accountId: string, hashes: { id: string; hash: string }[], at: string): Promise<void> {
  await trx.deleteFrom('recovery_codes').where('account_id', '=', accountId).execute();
  if (!hashes.length) return;
  await trx.insertInto('recovery_codes').values(hashes.map((h) => ({ id: h.id, account_id: accountId, code_hash: h.hash, created_at: at, used_at: null }))).execute();
}

/** Marks an unused code used. @returns whether it existed and was unused (exactly once) */
export async function consumeRecoveryCode(trx: Db, accountId: string, hash: string, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('recovery_codes')
    .set({ used_at: at })
    .where('account_id', '=', accountId)
    .where('code_hash', '=', hash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function unusedRecoveryCodeCount(db: Db, accountId: string): Promise<number> {
  const r = await db.selectFrom('recovery_codes').select((eb) => eb.fn.countAll<number>().as('n')).where('account_id', '=', accountId).where('used_at', 'is', null).executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Records a WebAuthn use only if the counter is still the one the check was made
 * against, so that of two uses racing with the same counter exactly one wins.
 * @returns whether this use won
 */
export async function advanceWebauthnCounter(trx: Db, id: string, expected: number, signCount: number, at: string): Promise<boolean> {
  const r = await trx
    .updateTable('mfa_factors')
    .set({ sign_count: signCount, last_used_at: at })
    .where('id', '=', id)
    .where('sign_count', '=', expected)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
