import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { accountsDefaults, accountsSecrets, accountsShape } from './sections/accounts.js';
import { gatewayDefaults, gatewaySecrets, gatewayShape } from './sections/gateway.js';
import { mailtipsDefaults, mailtipsSecrets, mailtipsShape } from './sections/mailtips.js';
import { notifyDefaults, notifySecrets, notifyShape } from './sections/notify.js';
import { recoveryDefaults, recoverySecrets, recoveryShape } from './sections/recovery.js';
import { reportsDefaults, reportsSecrets, reportsShape } from './sections/reports.js';

/**
 * One configuration schema for every entry point (serve, CLI, tests). Sources, later
 * wins: built-in defaults, an optional JSON config file (`POSTWARDEN_CONFIG`), then
 * environment variables named `POSTWARDEN_<KEY>` (plus the conventional `DATABASE_URL`).
 * Nothing else in the code base reads `process.env`.
 */

const addr = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, for example 127.0.0.1:8080')
  .refine((v) => !/:\d{1,5}$/.test(v) || Number(v.split(':').pop()) <= 65535, 'port must be 0–65535');

const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

const schema = z
  .object({
    dataDir: z.string().min(1),
    databaseUrl: z
      .string()
      .refine((v) => /^(postgres(ql)?:\/\/|sqlite:|file:)/.test(v) || v.endsWith('.sqlite') || v.endsWith('.db'), 'must be postgres://… or a SQLite file (sqlite:PATH)')
      .optional(),
    httpAddr: addr,
    smtpAddr: addr,
    /** Where Prometheus scrapes /metrics: its own listener (loopback by default), never the portal; 'off' disables it. */
    metricsAddr: z.union([z.literal('off'), addr]),
    platformDomain: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i, 'must be a domain name such as mail.example.org'),
    publicUrl: z.string().url('must be an absolute URL such as https://portal.example.org').optional(),
    serviceName: z.string().min(1).max(80),
    logoUrl: z.string().min(1).optional(),
    secretKey: z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters (32 bytes)').optional(),
    sessionIdleMinutes: z.coerce.number().int().min(1).max(24 * 60),
    sessionAbsoluteHours: z.coerce.number().int().min(1).max(24 * 7),
    signinRateLimitPerMinute: z.coerce.number().int().min(1).max(10_000),
    trustProxy: boolish,
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    helpdeskPhone: z.string().min(1),
    helpdeskEmail: z.string().email(),
    helpdeskHours: z.string().min(1),
    ...notifyShape,
    ...gatewayShape,
    ...mailtipsShape,
    ...recoveryShape,
    ...accountsShape,
    ...reportsShape,
  })
  .strict();

/** Settings that hold secrets: masked by describeConfig. */
const secretSettings: readonly string[] = [...notifySecrets, ...gatewaySecrets, ...mailtipsSecrets, ...recoverySecrets, ...accountsSecrets, ...reportsSecrets];

type Parsed = z.infer<typeof schema>;

export type Config = Readonly<
  Omit<Parsed, 'databaseUrl' | 'publicUrl' | 'secretKey'> & {
    databaseUrl: string;
    publicUrl: string;
    /** 32-byte master key for keyed hashes and encryption at rest. Never log it. */
    secretKey: Buffer;
    /** Whether the secret key came from configuration (true) or is still absent (false: `init` makes one). */
    secretKeyConfigured: boolean;
    cookieSecure: boolean;
  }
>;

export const defaults: Record<string, unknown> = {
  dataDir: './data',
  httpAddr: '127.0.0.1:8080',
  smtpAddr: '127.0.0.1:2525',
  metricsAddr: '127.0.0.1:9464',
  platformDomain: 'postwarden.test',
  serviceName: 'Postwarden',
  sessionIdleMinutes: 30,
  sessionAbsoluteHours: 12,
  signinRateLimitPerMinute: 20,
  trustProxy: false,
  logLevel: 'info',
  helpdeskPhone: '0300 000 0000',
  helpdeskEmail: 'helpdesk@postwarden.test',
  helpdeskHours: '24 hours a day, 7 days a week',
  ...notifyDefaults,
  ...gatewayDefaults,
  ...mailtipsDefaults,
  ...recoveryDefaults,
  ...accountsDefaults,
  ...reportsDefaults,
};

/** Keys a user may set, with the environment variable that sets each. */
export const envNames: Record<keyof Parsed, string> = Object.fromEntries(
  Object.keys(schema.shape).map((k) => [k, 'POSTWARDEN_' + k.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()]),
) as Record<keyof Parsed, string>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Name of the file in the data directory that holds the generated master key. */
export const SECRET_KEY_FILE = 'secret.key';

/**
 * Reads, validates and freezes the configuration. Reports every problem at once.
 * @throws ConfigError listing each invalid setting by the name the user set it with.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, unknown> = {}): Config {
  const problems: string[] = [];
  let fileValues: Record<string, unknown> = {};
  const file = env.POSTWARDEN_CONFIG;
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('must hold a JSON object');
      fileValues = parsed as Record<string, unknown>;
    } catch (err) {
      problems.push(`POSTWARDEN_CONFIG (${file}): ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [key, name] of Object.entries(envNames)) {
    const v = env[name];
    if (v !== undefined && v !== '') fromEnv[key] = v;
  }
  if (env.DATABASE_URL && !fromEnv.databaseUrl) fromEnv.databaseUrl = env.DATABASE_URL;
  for (const name of Object.keys(env)) {
    if (name.startsWith('POSTWARDEN_') && name !== 'POSTWARDEN_CONFIG' && !Object.values(envNames).includes(name)) {
      problems.push(`${name}: unknown setting`);
    }
  }
  const merged = { ...defaults, ...fileValues, ...fromEnv, ...overrides };
  const result = schema.safeParse(merged);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? '');
      const name = key in envNames ? envNames[key as keyof Parsed] : key;
      problems.push(issue.code === 'unrecognized_keys' ? `config file: unknown settings ${issue.keys.join(', ')}` : `${name}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const p = result.data;

  const dataDir = path.resolve(p.dataDir);
  let secretKey: Buffer | undefined = p.secretKey ? Buffer.from(p.secretKey, 'hex') : undefined;
  const keyFile = path.join(dataDir, SECRET_KEY_FILE);
  if (!secretKey && existsSync(keyFile)) {
    const hex = readFileSync(keyFile, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/i.test(hex)) throw new ConfigError([`${keyFile}: must hold 64 hex characters`]);
    secretKey = Buffer.from(hex, 'hex');
  }
  const publicUrl = (p.publicUrl ?? `http://${p.httpAddr.replace(/^0\.0\.0\.0:/, 'localhost:')}`).replace(/\/$/, '');
  return Object.freeze({
    ...p,
    dataDir,
    databaseUrl: p.databaseUrl ?? `sqlite:${path.join(dataDir, 'postwarden.sqlite')}`,
    publicUrl,
    secretKey: secretKey ?? Buffer.alloc(0),
    secretKeyConfigured: secretKey !== undefined,
    cookieSecure: publicUrl.startsWith('https://'),
  });
}

/** A copy safe to print: secrets and credentials in URLs are masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const key of secretSettings) {
    const v = (config as Record<string, unknown>)[key];
    if (v !== undefined) masked[key] = '[set]';
  }
  return {
    ...config,
    ...masked,
    secretKey: config.secretKeyConfigured ? '[set]' : '[not set]',
    databaseUrl: config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'),
  };
}
