import { recordAudit } from '../audit/audit.commands.js';
import { findAccountByEmail } from '../directory/directory.repo.js';
import type { Ctx } from '../platform/context.js';
import type { Db } from '../platform/db/db.js';
import { Invalid, Unauthenticated } from '../platform/errors/errors.js';
import { verifyPassword } from '../signin/password.js';
import { answerHashes, type FieldProblem, normaliseAnswer, type QuestionEntry, questionProblems, QUESTIONS } from './recovery.js';
import { deleteChallenge, questionsOf, questionsSetAt, replaceQuestions } from './recovery.repo.js';
import { answerKey } from './verification.commands.js';

/** A user's own security questions: set, change, and whether they have them. */

/**
 * Security answers for the quick-start demo accounts (documented in docs/RECOVERY.md, so a
 * trial can walk through a verified reset). Never used outside the demo seed.
 */
export const DEMO_SECURITY_ANSWERS: readonly QuestionEntry[] = [
  { question: QUESTIONS[0]!, answer: 'Hillside' },
  { question: QUESTIONS[3]!, answer: 'Biscuit' },
  { question: QUESTIONS[2]!, answer: 'Ford Fiesta' },
];

/** Invalid, with each problem tied to its form field. */
export class QuestionsInvalid extends Invalid {
  constructor(readonly fieldProblems: FieldProblem[]) {
    super('Your security questions were not saved.', fieldProblems.map((p) => p.text));
  }
}

/** Whether the account has its three questions (sign-in prompts until it has). */
export async function hasSecurityQuestions(db: Db, accountId: string): Promise<boolean> {
  return (await questionsOf(db, accountId)).length === 3;
}

/** The acting account's question texts (never answers) and when they were set. @throws Unauthenticated */
export async function ownSecurityQuestions(db: Db, ctx: Ctx): Promise<{ questions: string[]; setAt: string | null }> {
  if (!ctx.actor) throw new Unauthenticated();
  const qs = await questionsOf(db, ctx.actor.accountId);
  return { questions: qs.map((q) => q.question), setAt: qs.length === 3 ? await questionsSetAt(db, ctx.actor.accountId) : null };
}

/**
 * Stores three questions with keyed hashes of each answer character, replacing any
 * earlier ones, in `trx`. Any pending challenge is dropped (its positions may no longer
 * exist). Used by setOwnSecurityQuestions and by seeding.
 * @throws QuestionsInvalid with every rule broken
 */
export async function storeSecurityQuestions(trx: Db, secretKey: Buffer, accountId: string, entries: readonly QuestionEntry[], at: string): Promise<void> {
  const problems = questionProblems(entries);
  if (problems.length) throw new QuestionsInvalid(problems);
  const key = answerKey({ secretKey });
  await replaceQuestions(trx, accountId, entries.map((e, slot) => ({ slot, question: e.question, charHashes: answerHashes(key, accountId, slot, normaliseAnswer(e.answer)) })), at);
  await deleteChallenge(trx, accountId);
}

/**
 * Sets or changes the acting account's security questions, after checking its current
 * password (a borrowed session alone must not be able to change them). Audited; the
 * answers never leave this function.
 * @throws QuestionsInvalid (rules, or a wrong current password), Unauthenticated
 */
export async function setOwnSecurityQuestions(db: Db, ctx: Ctx, secretKey: Buffer, input: { currentPassword: string; entries: QuestionEntry[] }): Promise<void> {
  if (!ctx.actor) throw new Unauthenticated();
  const account = await findAccountByEmail(db, ctx.actor.email);
  if (!account?.passwordHash) throw new Unauthenticated();
  const problems = questionProblems(input.entries);
  if (!(await verifyPassword(account.passwordHash, input.currentPassword))) problems.unshift({ field: 'currentPassword', text: 'Your current password is not correct.' });
  if (problems.length) throw new QuestionsInvalid(problems);
  const had = await hasSecurityQuestions(db, account.id);
  await db.transaction().execute(async (trx) => {
    await storeSecurityQuestions(trx, secretKey, account.id, input.entries, ctx.now.toISOString());
    await recordAudit(trx, ctx, { action: had ? 'recovery.questions.change' : 'recovery.questions.set', organisationId: account.organisationId, target: `account:${account.id}` });
  });
}
