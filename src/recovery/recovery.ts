import type { MobileRule } from '../phones/phones.js';
import { keyedHash } from '../platform/crypto/secrets.js';

/**
 * Pure rules of verified password reset: security questions and their answers, the
 * challenge (characters at positions the server chooses), who can be verified over the
 * phone and with which second factor, and the verification lock. No I/O, no clock.
 */

/** The questions a user chooses from. Fixed texts, so a made-up challenge looks like a real one. */
export const QUESTIONS: readonly string[] = [
  'What was the name of your first school?',
  'In which town or city were you born?',
  'What was the make of your first car?',
  'What was the name of your first pet?',
  'What is the title of your favourite book?',
  'What was the name of the street you grew up in?',
  'What was your childhood nickname?',
  'What was the name of your first employer?',
  'What was your favourite subject at school?',
  'In which town or city did your parents meet?',
];

export const QUESTION_COUNT = 3;
export const MIN_ANSWER = 5;
export const MAX_ANSWER = 12;
/** Characters asked for in one challenge, each from a different answer. */
export const CHALLENGE_SIZE = 2;

/** Answers compare without case and without spaces (Unicode-normalised first). */
export function normaliseAnswer(answer: string): string {
  return answer.normalize('NFKC').toLowerCase().replace(/\s+/gu, '');
}

export interface QuestionEntry {
  question: string;
  answer: string;
}

export interface FieldProblem {
  /** The form field the problem belongs to (`question1`, `answer2`, …). */
  field: string;
  text: string;
}

/**
 * Every problem with a set of three questions and answers, in plain words, one per rule
 * broken; empty when the set is acceptable. Answers are never repeated in a message.
 */
export function questionProblems(entries: readonly QuestionEntry[]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const seenQuestions = new Map<string, number>();
  const seenAnswers = new Map<string, number>();
  for (let i = 0; i < QUESTION_COUNT; i++) {
    const n = i + 1;
    const e = entries[i] ?? { question: '', answer: '' };
    if (!QUESTIONS.includes(e.question)) problems.push({ field: `question${n}`, text: `Choose question ${n} from the list.` });
    else if (seenQuestions.has(e.question)) problems.push({ field: `question${n}`, text: `Question ${n} is the same as question ${seenQuestions.get(e.question)}: choose a different question.` });
    else seenQuestions.set(e.question, n);
    const a = normaliseAnswer(e.answer);
    const len = [...a].length;
    if (len === 0) problems.push({ field: `answer${n}`, text: `Enter an answer to question ${n}.` });
    else if (len < MIN_ANSWER) problems.push({ field: `answer${n}`, text: `The answer to question ${n} must have at least ${MIN_ANSWER} characters, not counting spaces.` });
    else if (len > MAX_ANSWER) problems.push({ field: `answer${n}`, text: `The answer to question ${n} must have at most ${MAX_ANSWER} characters, not counting spaces.` });
    if (len > 0 && hasRun(a)) problems.push({ field: `answer${n}`, text: `The answer to question ${n} must not repeat a character 3 times in a row (like aaa or 111).` });
    if (len > 0) {
      if (seenAnswers.has(a)) problems.push({ field: `answer${n}`, text: `The answer to question ${n} is the same as the answer to question ${seenAnswers.get(a)}: each answer must be different.` });
      else seenAnswers.set(a, n);
    }
  }
  return problems;
}

/** Whether a string has the same character 3 or more times in a row. */
export function hasRun(s: string): boolean {
  const chars = [...s];
  for (let i = 2; i < chars.length; i++) if (chars[i] === chars[i - 1] && chars[i] === chars[i - 2]) return true;
  return false;
}

/** The keyed hash of one character of an answer, bound to the account, the question slot and the position. */
export function charHash(key: Buffer, accountId: string, slot: number, position: number, char: string): string {
  return keyedHash(key, `${accountId}\u0000${slot}\u0000${position}\u0000${char}`);
}

/** One keyed hash per character of a normalised answer. */
export function answerHashes(key: Buffer, accountId: string, slot: number, normalised: string): string[] {
  return [...normalised].map((c, i) => charHash(key, accountId, slot, i, c));
}

export interface ChallengePosition {
  /** Question slot, 0-based. */
  slot: number;
  /** Character position in the normalised answer, 0-based. */
  position: number;
}

/**
 * Chooses the challenge: one character position in each of CHALLENGE_SIZE different
 * answers. `lengths[slot]` is the length of each answer; `random(n)` is uniform in [0, n).
 */
export function pickChallenge(lengths: readonly number[], random: (n: number) => number): ChallengePosition[] {
  const slots = lengths.map((_, i) => i);
  const chosen: ChallengePosition[] = [];
  while (chosen.length < CHALLENGE_SIZE && slots.length) {
    const slot = slots.splice(random(slots.length), 1)[0]!;
    chosen.push({ slot, position: random(lengths[slot]!) });
  }
  return chosen.sort((a, b) => a.slot - b.slot);
}

/** A typed character, normalised like answers; null unless it is exactly one character. */
export function normaliseTypedChar(typed: string): string | null {
  const n = normaliseAnswer(typed);
  return [...n].length === 1 ? n : null;
}

/** 1 → "1st", 2 → "2nd", 11 → "11th". */
export function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${s}`;
}

export type SecondFactor = 'totp' | 'sms';

/** Why an account cannot be verified and reset here; the console shows a script instead. */
export type Referral = 'non-uk-mobile' | 'compromised' | 'disabled' | 'no-questions' | 'no-phone-factor' | 'security-key-only' | 'mobile-recently-changed';

export interface VerificationSubject {
  status: 'active' | 'disabled' | 'locked';
  statusReason: string | null;
  compromisedAt: string | null;
  privileged: boolean;
  hasTotp: boolean;
  /** Any active MFA factor (authenticator app or security key). */
  hasMfa: boolean;
  ukMobile: boolean;
  /**
   * Whether the UK mobile may serve as a second factor now: false for a while after someone
   * other than the account (or the account without MFA) added or changed it.
   */
  mobileTrusted: boolean;
  questionsSet: boolean;
}

export type Assessment = { ok: true; options: SecondFactor[] } | { ok: false; referral: Referral };

/**
 * Whether an account can be verified over the phone, and which second factor the caller
 * must pass (empty: questions alone suffice). An account with MFA or a UK mobile needs a
 * second factor; a privileged account always does, so with none it is referred. The
 * strongest factor wins: an account with an authenticator app must prove the app, and one
 * with only a security key cannot be verified by phone at all (a text message is never
 * accepted instead of a stronger factor). A mobile that is not trusted yet is no factor.
 */
export function assessVerification(s: VerificationSubject): Assessment {
  if (s.compromisedAt) return { ok: false, referral: 'compromised' };
  if (s.status === 'disabled' && s.statusReason === 'non-uk-mobile') return { ok: false, referral: 'non-uk-mobile' };
  if (s.status !== 'active') return { ok: false, referral: 'disabled' };
  if (!s.questionsSet) return { ok: false, referral: 'no-questions' };
  if (s.hasTotp) return { ok: true, options: ['totp'] };
  if (s.hasMfa) return { ok: false, referral: 'security-key-only' };
  if (s.ukMobile && s.mobileTrusted) return { ok: true, options: ['sms'] };
  if (s.ukMobile) return { ok: false, referral: 'mobile-recently-changed' };
  if (s.privileged) return { ok: false, referral: 'no-phone-factor' };
  return { ok: true, options: [] };
}

/** What judging an account's mobile needs: the time, the delay for numbers set by someone else, and the UK-mobile rule. */
export interface MobileTrustRule {
  now: Date;
  newMobileDays: number;
  mobileRule: MobileRule;
}

/**
 * When a mobile number becomes usable as a second factor: at once when the account itself
 * changed it after passing MFA, or when no change is recorded (numbers set before the
 * rule); otherwise `newMobileDays` after the change. @returns an ISO time, or null (usable)
 */
export function mobileUsableFrom(a: { mobileChangedAt: string | null; mobileChangeVerified: boolean }, days: number): string | null {
  if (a.mobileChangedAt === null || a.mobileChangeVerified) return null;
  return new Date(Date.parse(a.mobileChangedAt) + days * 86_400_000).toISOString();
}

/** Whether the account's mobile may serve as a second factor at `rule.now`. */
export function mobileTrusted(a: { mobileChangedAt: string | null; mobileChangeVerified: boolean }, rule: MobileTrustRule): boolean {
  const from = mobileUsableFrom(a, rule.newMobileDays);
  return from === null || Date.parse(from) <= rule.now.getTime();
}

/**
 * Whether self-service reset can work for an account: as the console, plus a UK mobile to
 * send the temporary password to; an enrolled authenticator's code is required too, and a
 * privileged account without an authenticator app cannot reset itself.
 */
export function selfServiceAllowed(s: VerificationSubject): boolean {
  const a = assessVerification(s);
  if (!a.ok || !s.ukMobile || !s.mobileTrusted) return false;
  if ((s.privileged || s.hasMfa) && !s.hasTotp) return false;
  return true;
}

/** The last 4 digits of a number, for "mobile ending 3456". */
export function mobileEnding(number: string | null): string {
  return (number ?? '').replace(/\D/g, '').slice(-4);
}

/** Whether the caller's 4 digits are the end of the registered number. */
export function lastFourMatch(number: string | null, given: string): boolean {
  const digits = given.replace(/\s/g, '');
  return /^\d{4}$/.test(digits) && number !== null && mobileEnding(number) === digits;
}

/** A ticket reference: 1–64 printable characters, trimmed. @returns the clean value, or null when unacceptable */
export function cleanTicket(ticket: string): string | null {
  const t = ticket.trim();
  return t.length >= 1 && t.length <= 64 && /^[A-Za-z0-9 _./#:-]+$/.test(t) ? t : null;
}

/** A 6-digit one-time code. */
export function newSmsCode(random: (n: number) => number): string {
  return String(random(1_000_000)).padStart(6, '0');
}

export interface VerifyThrottle {
  failures: number;
  lockouts: number;
  lockedUntil: string | null;
}

export const NO_FAILURES: VerifyThrottle = { failures: 0, lockouts: 0, lockedUntil: null };

export function isVerificationLocked(t: VerifyThrottle, now: Date): boolean {
  return t.lockedUntil !== null && Date.parse(t.lockedUntil) > now.getTime();
}
