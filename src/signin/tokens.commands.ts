import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/audit.commands.js';
import { normaliseEmail } from '../directory/directory.js';
import { authorizePlatformAdmin } from '../directory/directory.policy.js';
import { findAccount, findAccountByEmail } from '../directory/directory.repo.js';
import type { Actor, Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, NotFound } from '../platform/errors/errors.js';
import { actorFor } from './signin.commands.js';
import { API_TOKEN_PREFIX, hashSecret, newSecret, shouldTouch } from './signin.js';
import { findApiTokenByHash, insertApiToken, touchApiToken } from './signin.repo.js';

/**
 * Issues an API token for an account. The CLI operator may issue for anyone; in the
 * portal only platform admins may.
 * @returns the token, shown once (stored only as its SHA-256)
 * @throws NotFound, Forbidden, Invalid
 */
export async function createApiToken(db: Db, ctx: Ctx, input: { email: string; name: string }): Promise<{ token: string; id: string }> {
  authorizePlatformAdmin(ctx.actor);
  const name = input.name.trim();
  if (!name || name.length > 100) throw new Invalid('Give the token a name of 1–100 characters.');
  const account = await findAccountByEmail(db, normaliseEmail(input.email));
  if (!account) throw new NotFound(`No account ${normaliseEmail(input.email)}`);
  const token = API_TOKEN_PREFIX + newSecret();
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await insertApiToken(trx, { id, accountId: account.id, name, tokenHash: hashSecret(token), createdAt: ctx.now.toISOString() });
    await recordAudit(trx, ctx, { action: 'token.create', organisationId: account.organisationId, target: `account:${account.id}`, details: { tokenId: id, name } });
  });
  return { token, id };
}

/** The actor an API token acts as, or null when unknown, revoked, or the account is not active. */
export async function resolveApiToken(db: Db, token: string, now: Date): Promise<Actor | null> {
  if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 200) return null;
  const row = await findApiTokenByHash(db, hashSecret(token));
  if (!row || row.revokedAt) return null;
  const account = await findAccount(db, row.accountId, { all: true });
  if (!account || account.status !== 'active' || account.compromisedAt) return null;
  if (!row.lastUsedAt || shouldTouch(row.lastUsedAt, now)) await touchApiToken(db, row.id, now.toISOString());
  return actorFor(db, account);
}
