import { randomBytes, randomInt } from 'node:crypto';
import { Algorithm, hash, verify } from '@node-rs/argon2';

/**
 * Password hashing (argon2id, the library's defaults: 19 MiB, 2 passes, ~6 ms here) and
 * the password rules: length over complexity, plus a deny-list of common passwords.
 */

const OPTIONS = { algorithm: Algorithm.Argon2id } as const;

export async function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** False for a wrong password or a malformed hash; never throws for a bad guess. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/**
 * A hash to verify against when the account does not exist, so that a missing account
 * costs the same time as a wrong password and timing does not reveal which it was.
 */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(16).toString('hex'));
  return dummy;
}

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

// The most common passwords of public breach lists that are long enough to pass the length rule.
const DENY = new Set([
  'password1234', 'password12345', 'password123456', '123456789012', 'qwertyuiop12', 'qwertyuiopas', 'iloveyou1234',
  'passwordpassword', 'welcome12345', 'welcome123456', 'letmein12345', 'changeme1234', 'administrator', 'admin1234567',
  'qwerty123456', '1q2w3e4r5t6y', '1234567890ab', 'abcdefghijkl', 'football1234', 'monkey123456', 'sunshine1234',
  'princess1234', 'trustno1trustno1', 'aaaaaaaaaaaa', '111111111111', '000000000000', '123123123123', 'baseball1234',
  'nhsmail12345', 'nhsmailpassword', 'summer202020', 'winter202020', 'spring202020', 'autumn202020', 'password2024',
  'password2025', 'password2026', 'qwertyqwerty', 'asdfghjkl123', 'zxcvbnm12345', 'correcthorsebatterystaple',
]);

/** Problems with a proposed password, in plain words; empty when it is acceptable. */
export function passwordProblems(password: string, email?: string): string[] {
  const problems: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH) problems.push(`Password must be at least ${MIN_PASSWORD_LENGTH} characters long.`);
  if (password.length > MAX_PASSWORD_LENGTH) problems.push(`Password must be at most ${MAX_PASSWORD_LENGTH} characters long.`);
  const lower = password.toLowerCase();
  if (DENY.has(lower)) problems.push('This password is too common. Choose a less predictable one, for example three random words.');
  else if (/^(.)\1+$/.test(password)) problems.push('Password must not be one character repeated.');
  if (email && lower.includes(email.toLowerCase().split('@')[0]!) && email.split('@')[0]!.length >= 4) {
    problems.push('Password must not contain your email address.');
  }
  return problems;
}

const WORDS = 'amber,anchor,apple,arrow,aspen,badger,basil,beacon,birch,bramble,breeze,canyon,cedar,cobalt,comet,copper,coral,cotton,crystal,dawn,delta,ember,falcon,fern,flint,forest,garnet,glacier,granite,harbour,hazel,heron,indigo,ivory,jasper,juniper,kestrel,lagoon,lantern,lark,linen,maple,marble,meadow,mercury,moss,nectar,nutmeg,oak,ocean,olive,onyx,orbit,otter,pebble,pepper,pine,plum,quartz,quill,raven,reed,river,robin,saffron,sage,salmon,sierra,silver,slate,sorrel,spruce,summit,swift,thistle,thunder,timber,topaz,tulip,valley,velvet,willow,wren,yarrow,zephyr'.split(',');

/** A random one-time password: five words and two digits (~39 bits; argon2id and sign-in rate limits bound guessing, and it must be changed at first use). */
export function generateOneTimePassword(): string {
  const words = Array.from({ length: 5 }, () => WORDS[randomInt(WORDS.length)]!);
  return `${words.join('-')}-${randomInt(10, 100)}`;
}
