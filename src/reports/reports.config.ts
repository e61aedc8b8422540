import { z } from 'zod';
import type { ConfigSection } from '../platform/config/config.js';

/**
 * Settings for phishing reports (issue 7). Merged by platform/config/config.ts into the one schema:
 * each key becomes POSTWARDEN_<KEY_IN_UPPER_SNAKE_CASE> and a key of the JSON config file.
 */
const addressList = /^\s*[^\s,@]+@[^\s,@]+(\s*,\s*[^\s,@]+@[^\s,@]+)*\s*$/;

export const reportsShape = {
  /** Reporting addresses, comma-separated; default `spamreports@<platform domain>`. */
  reportAddresses: z.string().regex(addressList, 'must be one or more email addresses separated by commas').optional(),
  /** Where CSOC submits samples (the national CERT). No submissions until it is set. */
  reportCertAddress: z.string().regex(/^[^\s,@]+@[^\s,@]+$/, 'must be one email address').optional(),
  /** Largest report (whole message or upload) accepted, in bytes. */
  reportMaxBytes: z.coerce.number().int().min(10_000).max(200 * 1024 * 1024),
  /** Most samples (attached messages) one report may carry. */
  reportMaxSamples: z.coerce.number().int().min(1).max(500),
  /** Most reports one reporter may send in an hour. */
  reportMaxPerReporterPerHour: z.coerce.number().int().min(1).max(100_000),
  /** Wording of the verdict email, per verdict. */
  reportVerdictPhishingText: z.string().min(1).max(2000),
  reportVerdictSpamText: z.string().min(1).max(2000),
  reportVerdictLegitimateText: z.string().min(1).max(2000),
  /** Default lifetime of a block rule in days (0: until lifted). */
  reportBlockDays: z.coerce.number().int().min(0).max(3650),
  /** How often each gateway process checks for changed block rules, in milliseconds. */
  reportBlockRefreshMs: z.coerce.number().int().min(200).max(60_000),
  /** Domains never used to group samples into campaigns (freemail, big link hosts), comma-separated. */
  reportCampaignIgnoreDomains: z.string().max(10_000),
} satisfies z.ZodRawShape;

export const reportsDefaults: Record<string, unknown> = {
  reportMaxBytes: 25 * 1024 * 1024,
  reportMaxSamples: 20,
  reportMaxPerReporterPerHour: 60,
  reportVerdictPhishingText:
    'Thank you. The message you reported is a phishing attempt. Do not click its links or open its attachments, and delete it. If you already clicked a link or entered your password, change your password now and call the helpdesk.',
  reportVerdictSpamText: 'Thank you. The message you reported is spam (unwanted but not dangerous). You can delete it.',
  reportVerdictLegitimateText: 'Thank you. The message you reported was checked and is legitimate. You can act on it as normal.',
  reportBlockDays: 90,
  reportBlockRefreshMs: 2000,
  reportCampaignIgnoreDomains:
    'gmail.com,googlemail.com,google.com,outlook.com,hotmail.com,live.com,msn.com,microsoft.com,office.com,office365.com,yahoo.com,yahoo.co.uk,icloud.com,me.com,aol.com,protonmail.com,proton.me,gmx.com,mail.com,btinternet.com,sky.com,virginmedia.com,talktalk.net,w3.org,schema.org,apple.com,facebook.com,twitter.com,x.com,linkedin.com,instagram.com,youtube.com',
};

/** Keys whose values are secrets (masked by describeConfig, never logged). */
export const reportsSecrets: readonly string[] = [];

/** The reporting addresses in lower case (the gateway takes mail to them into the report store). */
export function reportingAddresses(config: { reportAddresses?: string | undefined; platformDomain: string }): string[] {
  const list = config.reportAddresses ? config.reportAddresses.split(',').map((a) => a.trim().toLowerCase()) : [];
  return list.length ? list : [`spamreports@${config.platformDomain.toLowerCase()}`];
}

/**
 * The authserv-id whose Authentication-Results a reported sample's internal origin is read
 * from: the gateway's own (`authservId`, default the platform domain). The gateway removes
 * look-alikes of it from inbound mail, so only its own stamp carries it.
 */
export function trustedAuthservId(config: { authservId?: string | undefined; platformDomain: string }): string {
  return (config.authservId ?? config.platformDomain).toLowerCase();
}

/** The reports section of the configuration, listed in src/main/config.ts. */
export const reportsConfig: ConfigSection = { name: 'reports', shape: reportsShape, defaults: reportsDefaults, secrets: reportsSecrets };

/** The reports settings as the code reads them; merged into `Config`. */
export type ReportsSettings = z.infer<z.ZodObject<typeof reportsShape>>;

declare module '../platform/config/config.js' {
  interface CapabilitySettings extends ReportsSettings {}
}
