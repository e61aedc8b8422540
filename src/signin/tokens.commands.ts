import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import { normaliseEmail } from '../directory/directory.js';
import { authorizePlatformAdmin } from '../directory/directory.policy.js';
import { findAccount, findAccountByEmail } from '../directory/directory.repo.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Forbidden, Invalid, NotFound } from '../platform/errors/errors.js';
import { factorsOf } from '../mfa/mfa.repo.js';
import { actorFor, mfaRequiredFor } from './signin.commands.js';
import { API_TOKEN_PREFIX, hashSecret, newSecret, shouldTouch } from './signin.js';
import { findApiTokenByHash, insertApiToken, touchApiToken } from './signin.repo.js';

/** Why a token of an account that must use MFA and has no factor is refused (403). */
export const TOKEN_NEEDS_MFA = 'This account must use multi-factor authentication and has not set it up, so its API tokens are refused. '
  + 'Set up a factor for the account, or have the operator create a token for automation with `postwarden token create --allow-without-mfa`.';

/**
 * Issues an API token for an account. The CLI operator may issue for anyone; in the
 * portal only platform admins may. A token works only while its account either need not use
 * MFA or has a factor, unless `allowWithoutMfa` mints it deliberately for automation (the
 * audit event records which).
 * @returns the token, shown once (stored only as its SHA-256)
 * @throws NotFound, Forbidden, Invalid
 */
export async function createApiToken(db: Db, ctx: Ctx, input: { email: string; name: string; allowWithoutMfa?: boolean }): Promise<{ token: string; id: string }> {
  authorizePlatformAdmin(ctx.actor);
  const name = input.name.trim();
  if (!name || name.length > 100) throw new Invalid('Give the token a name of 1–100 characters.');
  const account = await findAccountByEmail(db, normaliseEmail(input.email));
  if (!account) throw new NotFound(`No account ${normaliseEmail(input.email)}`);
  const token = API_TOKEN_PREFIX + newSecret();
  const id = randomUUID();
  const allowWithoutMfa = input.allowWithoutMfa === true;
  await db.transaction().execute(async (trx) => {
    await insertApiToken(trx, { id, accountId: account.id, name, tokenHash: hashSecret(token), createdAt: ctx.now.toISOString(), allowWithoutMfa });
    await recordAudit(trx, ctx, { action: 'token.create', organisationId: account.organisationId, target: `account:${account.id}`, details: { tokenId: id, name, allowWithoutMfa } });
  });
  return { token, id };
}

/**
 * The actor an API token acts as, or null when unknown, revoked, or the account is not active.
 * Who must use MFA is the sign-in rule (mfaReasons): such an account's token works once the
 * account has an active factor, or when the token was minted with allowWithoutMfa.
 * @throws Forbidden (TOKEN_NEEDS_MFA) when the account must use MFA, has no factor, and the token was not minted for that
 */
export async function resolveApiToken(db: Db, token: string, now: Date): Promise<Actor | null> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) return null;
  const row = await findApiTokenByHash(db, hashSecret(token));
  if (!row || row.revokedAt) return null;
  const account = await findAccount(db, row.accountId, { all: true });
  if (!account || account.status !== 'active' || account.compromisedAt) return null;
  if (!row.allowWithoutMfa && (await factorsOf(db, account.id)).length === 0 && (await mfaRequiredFor(db, account))) throw new Forbidden(TOKEN_NEEDS_MFA);
  if (!row.lastUsedAt || shouldTouch(row.lastUsedAt, now)) await touchApiToken(db, row.id, now.toISOString());
  return actorFor(db, account);
}
