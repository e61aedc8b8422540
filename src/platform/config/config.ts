import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { notifyDefaults, notifySecrets, notifyShape } from './sections/notify.js';

/**
 * One configuration schema for every entry point (serve, CLI, tests). Sources, later
 * wins: built-in defaults, an optional JSON config file (`POSTWARDEN_CONFIG`), then
 * environment variables named `POSTWARDEN_<KEY>` (plus the conventional `DATABASE_URL`).
 * Nothing else in the code base reads `process.env`.
 *
 * This file holds the platform's own settings (and the outbox's, sections/notify.ts) and the
 * machinery. Each capability brings its settings as a ConfigSection (`src/<cap>/<cap>.config.ts`),
 * and adds their types to `Config` by interface merging:
 *   declare module '../platform/config/config.js' { interface CapabilitySettings extends XSettings {} }
 * The composition root (src/main/config.ts) lists the sections and passes them to loadConfig.
 */

/** One capability's settings: its zod shape, its defaults and which of its keys hold secrets. */
export interface ConfigSection {
  /** The capability that owns the settings (named when two sections define one key). */
  readonly name: string;
  readonly shape: z.ZodRawShape;
  readonly defaults: Readonly<Record<string, unknown>>;
  /** Keys whose values are secrets: masked by describeConfig, never logged. */
  readonly secrets: readonly string[];
}

/** Every capability's settings, as the code reads them; each section merges its own in. */
export interface CapabilitySettings {}

const addr = z
  .string()
  .regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, for example 127.0.0.1:8080')
  .refine((v) => !/:\d{1,5}$/.test(v) || Number(v.split(':').pop()) <= 65535, 'port must be 0–65535');

const boolish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]).transform((v) => v === true || v === 'true' || v === '1');

const platformShape = {
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
} satisfies z.ZodRawShape;

type Parsed = z.infer<z.ZodObject<typeof platformShape>>;

export type Config = Readonly<
  Omit<Parsed, 'databaseUrl' | 'publicUrl' | 'secretKey'> &
    CapabilitySettings & {
    databaseUrl: string;
    publicUrl: string;
    /** 32-byte master key for keyed hashes and encryption at rest. Never log it. */
    secretKey: Buffer;
    /** Whether the secret key came from configuration (true) or is still absent (false: `init` makes one). */
    secretKeyConfigured: boolean;
    cookieSecure: boolean;
  }
>;

const platformDefaults: Record<string, unknown> = {
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
};

/** The environment variable that sets a key: POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE>. */
export function envNameOf(key: string): string {
  return 'POSTWARDEN_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

/**
 * The one schema: the platform's settings and every section's, strict (an unknown key is a problem).
 * @throws Error when two sections (or a section and the platform) define the same key: a programming error.
 */
function assemble(sections: readonly ConfigSection[]): { schema: z.AnyZodObject; defaults: Record<string, unknown>; envNames: Record<string, string> } {
  const shape: z.ZodRawShape = { ...platformShape };
  const defaults: Record<string, unknown> = { ...platformDefaults };
  for (const section of sections) {
    for (const key of Object.keys(section.shape)) {
      if (key in shape) throw new Error(`config section ${section.name}: setting ${key} is defined twice`);
    }
    Object.assign(shape, section.shape);
    Object.assign(defaults, section.defaults);
  }
  const envNames = Object.fromEntries(Object.keys(shape).map((k) => [k, envNameOf(k)]));
  return { schema: z.object(shape).strict(), defaults, envNames };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super('Invalid configuration:\n' + problems.map((p) => `  - ${p}`).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Name of the file in the data directory that holds the generated master key. */
export const SECRET_KEY_FILE = 'secret.key';

/**
 * Reads, validates and freezes the configuration: the platform's settings and each of
 * `sections` (src/main/config.ts lists them). Reports every problem at once.
 * @throws ConfigError listing each invalid setting by the name the user set it with.
 */
export function loadConfig(sections: readonly ConfigSection[], env: Record<string, string | undefined> = process.env, overrides: Record<string, unknown> = {}): Config {
  const { schema, defaults, envNames } = assemble(sections);
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
      const name = envNames[key] ?? key;
      problems.push(issue.code === 'unrecognized_keys' ? `config file: unknown settings ${issue.keys.join(', ')}` : `${name}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const p = result.data as Parsed & CapabilitySettings;

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

/** A copy safe to print: secrets (the platform's and each section's) and credentials in URLs are masked. */
export function describeConfig(config: Config, sections: readonly ConfigSection[]): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const key of [...notifySecrets, ...sections.flatMap((s) => s.secrets)]) {
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
