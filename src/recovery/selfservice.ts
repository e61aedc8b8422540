import { createHmac } from 'node:crypto';
import { type ChallengePosition, MAX_ANSWER, MIN_ANSWER, pickChallenge, QUESTION_COUNT, QUESTIONS } from './recovery.js';

/**
 * Pure rules of self-service reset: the made-up account an address that leads to no real
 * challenge is given (so that it behaves like a real one), re-rolling a challenge after a
 * wrong answer, and the self-service throttle. No I/O, no clock.
 */

/** Three questions and answer lengths that an address that leads to no real challenge appears to have. */
export interface DecoyProfile {
  questions: string[];
  lengths: number[];
}

/** A deterministic `random(n)` (uniform enough in [0, n)) drawn from a seed: the same seed, the same sequence. */
export function seededRandom(seed: Buffer): (n: number) => number {
  let i = 0;
  return (n: number): number => createHmac('sha256', seed).update(String(i++)).digest().readUInt32BE(0) % n;
}

/** The made-up questions of an address (stable for the seed, as a real account's are). */
export function decoyProfile(seed: Buffer): DecoyProfile {
  const random = seededRandom(Buffer.concat([seed, Buffer.from('profile')]));
  const pool = [...QUESTIONS];
  const questions: string[] = [];
  while (questions.length < QUESTION_COUNT) questions.push(pool.splice(random(pool.length), 1)[0]!);
  return { questions, lengths: questions.map(() => MIN_ANSWER + random(MAX_ANSWER - MIN_ANSWER + 1)) };
}

/** The first challenge of an address's made-up profile (stable for the seed, until re-rolled). */
export function firstDecoyChallenge(seed: Buffer, profile: DecoyProfile): ChallengePosition[] {
  return pickChallenge(profile.lengths, seededRandom(Buffer.concat([seed, Buffer.from('challenge')])));
}

export function samePositions(a: readonly ChallengePosition[], b: readonly ChallengePosition[]): boolean {
  return a.length === b.length && a.every((p, i) => p.slot === b[i]?.slot && p.position === b[i]?.position);
}

/**
 * The challenge that follows a wrong answer to `previous`: a fresh pick that asks something
 * else, so that the page after a wrong answer always shows a new challenge, for a real
 * account and a made-up one alike.
 */
export function pickNextChallenge(lengths: readonly number[], random: (n: number) => number, previous: readonly ChallengePosition[]): ChallengePosition[] {
  let next = pickChallenge(lengths, random);
  for (let tries = 0; tries < 32 && samePositions(next, previous); tries++) next = pickChallenge(lengths, random);
  return next;
}

export interface SelfServiceLimits {
  recoverySelfServiceMaxPerAccount: number;
  recoverySelfServiceMaxPerClient: number;
  recoverySelfServiceWindowMinutes: number;
}

/** A counter as the throttle sees it: failures in the window that started then (none: never failed). */
export interface WindowCount {
  failures: number;
  windowStartedAt: string;
}

/** The failures that still count at `now` (0 once the window is over). */
export function failuresInWindow(c: WindowCount | undefined, windowMinutes: number, now: Date): number {
  return c && Date.parse(c.windowStartedAt) > now.getTime() - windowMinutes * 60_000 ? c.failures : 0;
}

/**
 * Whether self-service is refused for now for this address (typed) or this client, and for
 * how many seconds more. @returns null when allowed
 */
export function selfServiceRetryAfter(address: WindowCount | undefined, client: WindowCount | undefined, limits: SelfServiceLimits, now: Date): number | null {
  const m = limits.recoverySelfServiceWindowMinutes;
  const left = (c: WindowCount): number => Math.max(1, Math.ceil((Date.parse(c.windowStartedAt) + m * 60_000 - now.getTime()) / 1000));
  const waits: number[] = [];
  if (address && failuresInWindow(address, m, now) >= limits.recoverySelfServiceMaxPerAccount) waits.push(left(address));
  if (client && failuresInWindow(client, m, now) >= limits.recoverySelfServiceMaxPerClient) waits.push(left(client));
  return waits.length ? Math.max(...waits) : null;
}
