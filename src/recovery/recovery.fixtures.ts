import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../platform/config/config.js';
import type { Db } from '../platform/db/db.js';
import { testConfig, TEST_SECRET_KEY } from '../platform/testing/app.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import type { Role } from '../directory/directory.js';
import { storeSecurityQuestions } from './questions.commands.js';
import { normaliseAnswer, QUESTIONS, type QuestionEntry } from './recovery.js';

/** Test data for recovery tests: people with security questions whose answers the test knows. */

/** Distinctive answers: a test can search every response and log line for them. */
export const ANSWERS: readonly QuestionEntry[] = [
  { question: QUESTIONS[0]!, answer: 'Quillbrook' },
  { question: QUESTIONS[3]!, answer: 'Zephyrine' },
  { question: QUESTIONS[2]!, answer: 'Vauxhall Nova' },
];

/** A configuration with its own data directory (local SMS outbox, Maildir), no self-service delay. */
export function recoveryTestConfig(overrides: Record<string, unknown> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'pw-recovery-'));
  return testConfig({ dataDir, recoverySelfServiceFloorMs: 0, recoverySelfServiceRateLimitPerMinute: 1000, signinRateLimitPerMinute: 1000, ...overrides });
}

/** Gives an account the test's security questions. */
export async function giveQuestions(db: Db, accountId: string, entries: readonly QuestionEntry[] = ANSWERS): Promise<void> {
  await storeSecurityQuestions(db, Buffer.from(TEST_SECRET_KEY, 'hex'), accountId, entries, new Date().toISOString());
}

/** Removes an account's security questions (whatever the factories gave it): sign-in then prompts for them. */
export async function withoutQuestions(db: Db, accountId: string): Promise<void> {
  await db.deleteFrom('security_questions').where('account_id', '=', accountId).execute();
}

/** The character the caller would give for an item of a challenge (question text, 1-based position). */
export function charFor(item: { question: string; position: number }, entries: readonly QuestionEntry[] = ANSWERS, wrong = false): string {
  const e = entries.find((x) => x.question === item.question);
  if (!e) throw new Error(`no answer for ${item.question}`);
  const c = [...normaliseAnswer(e.answer)][item.position - 1]!;
  return wrong ? (c === 'x' ? 'y' : 'x') : c;
}

/** A UK mobile number from a range that is valid (not Ofcom's drama range), unique enough per test. */
export function ukMobile(): string {
  return `+447912${String(randomBytes(3).readUIntBE(0, 3) % 1_000_000).padStart(6, '0')}`;
}

export interface RecoveryWorld {
  org: { id: string; name: string; domain: string };
  other: { id: string; name: string; domain: string };
  la: Awaited<ReturnType<typeof makeAccount>>;
  otherLa: Awaited<ReturnType<typeof makeAccount>>;
  agent: Awaited<ReturnType<typeof makeAccount>>;
  agent2: Awaited<ReturnType<typeof makeAccount>>;
}

/** Two organisations, an LA of each, two helpdesk agents (in the platform's); all with security questions (no sign-in prompt). */
export async function seedWorld(db: Db): Promise<RecoveryWorld> {
  const org = await makeOrganisation(db, { highRiskAreas: ['Finance', 'HR'] });
  const other = await makeOrganisation(db);
  const platform = await makeOrganisation(db, { name: 'Platform operations test' });
  const mk = async (organisationId: string, roles: Role[], displayName: string): ReturnType<typeof makeAccount> => {
    const a = await makeAccount(db, { organisationId, roles, displayName });
    await giveQuestions(db, a.id);
    return a;
  };
  return {
    org, other,
    la: await mk(org.id, ['user', 'local-admin'], 'Lena Admin'),
    otherLa: await mk(other.id, ['user', 'local-admin'], 'Otto Admin'),
    agent: await mk(platform.id, ['user', 'helpdesk'], 'Hana Desk'),
    agent2: await mk(platform.id, ['user', 'helpdesk'], 'Hugo Desk'),
  };
}
