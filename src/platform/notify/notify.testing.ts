import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import { type ManualClock, type TestClient } from '../testing/app.js';
import { signedInClient } from '../testing/factories.js';
import { platformDkimKey } from './mailer.js';

/** Test helpers for anything that sends mail through the platform (local Maildir delivery). */

/** The messages in a local Maildir (`<data dir>/mail/<address>/new/`), oldest first. */
export function maildir(config: Config, address: string): string[] {
  const dir = path.join(config.dataDir, 'mail', address.toLowerCase(), 'new');
  try {
    return readdirSync(dir).sort().map((f) => readFileSync(path.join(dir, f), 'utf8'));
  } catch {
    return [];
  }
}

/** A DNS resolver for mailauth that answers the platform's DKIM TXT record, as DNS would once it is published. */
export function dkimResolver(config: Config): (name: string, type: string) => Promise<string[][]> {
  const key = platformDkimKey(config);
  return async (name: string, type: string): Promise<string[][]> => {
    if (type === 'TXT' && name.toLowerCase() === key.txtName.toLowerCase()) return [[key.txtValue]];
    throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
  };
}

/**
 * A signed-in client that has answered "Remind me at my next sign-in" to the security
 * questions prompt (recovery), if it was shown, so pages open directly.
 */
export async function signedInPastPrompts(app: FastifyInstance, clock: ManualClock, email: string): Promise<TestClient> {
  const c = await signedInClient(app, clock, email);
  await skipQuestionsPrompt(c);
  return c;
}

/** Postpones the security-questions prompt of this sign-in, if there is one. */
export async function skipQuestionsPrompt(c: TestClient): Promise<void> {
  const r = await c.get('/');
  if (r.status === 303 && String(r.headers.location).startsWith('/security/questions')) {
    await c.post('/security/questions/later', {}, { csrfFrom: String(r.headers.location) });
  }
}
