import { NotifyClient } from 'notifications-node-client';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/log.js';
import { writeLocalSms } from './sms.local.js';

/**
 * One interface for text messages: GOV.UK Notify when `notifyApiKey` and
 * `notifySmsTemplateId` are configured (the template's text is `((body))`), else the local
 * SMS outbox of the embedded setup (`<data dir>/sms-outbox/`).
 */

export interface SmsMessage {
  /** E.164 number, e.g. +447700… */
  to: string;
  body: string;
  /** Our id for the message (the outbox row id): Notify stores it as `reference`. */
  reference?: string;
}

export interface SmsDeps {
  config: Config;
  logger?: Logger;
  /** Time of the local outbox entry (default now). */
  now?: Date;
}

/** Which SMS provider the configuration selects. */
export function smsProvider(config: Config): 'govuk-notify' | 'local' {
  return config.notifyApiKey && config.notifySmsTemplateId ? 'govuk-notify' : 'local';
}

const clients = new Map<string, NotifyClient>();

function notifyClient(config: Config): NotifyClient {
  const k = `${config.notifyBaseUrl ?? ''}|${config.notifyApiKey}`;
  let c = clients.get(k);
  if (!c) {
    c = config.notifyBaseUrl ? new NotifyClient(config.notifyBaseUrl, config.notifyApiKey!) : new NotifyClient(config.notifyApiKey!);
    clients.set(k, c);
  }
  return c;
}

/** Notify's error answer without the request (which holds the body): status and error codes only. */
function notifyError(err: unknown): Error {
  const e = err as { response?: { status?: number; data?: { errors?: { error?: string; message?: string }[] } }; code?: string; message?: string };
  if (e.response) {
    const errors = (e.response.data?.errors ?? []).map((x) => x.error ?? 'error').join(', ');
    return new Error(`GOV.UK Notify answered ${e.response.status ?? '?'}${errors ? ` (${errors})` : ''}`);
  }
  return new Error(`GOV.UK Notify unreachable: ${e.code ?? e.message ?? 'unknown error'}`);
}

/**
 * Sends one text message. Never logs the body or the number.
 * @returns the provider's id for it
 * @throws Error when the provider refuses or cannot be reached (callers retry)
 */
export async function sendSms(deps: SmsDeps, msg: SmsMessage): Promise<{ providerRef: string }> {
  const { config } = deps;
  if (smsProvider(config) === 'govuk-notify') {
    try {
      const r = await notifyClient(config).sendSms(config.notifySmsTemplateId!, msg.to, { personalisation: { body: msg.body }, reference: msg.reference });
      const id = (r.data as { id?: string }).id ?? '';
      deps.logger?.info({ providerRef: id, provider: 'govuk-notify' }, 'sms sent');
      return { providerRef: `notify:${id}` };
    } catch (err) {
      throw notifyError(err);
    }
  }
  const id = await writeLocalSms(config, { to: msg.to, body: msg.body, at: deps.now ?? new Date() });
  deps.logger?.info({ providerRef: id, provider: 'local' }, 'sms written to the local outbox');
  return { providerRef: `local:${id}` };
}
