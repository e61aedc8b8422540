import type { CapabilityPlugin } from '../platform/http/plugin.js';

/**
 * MailTips has no pages, links or tasks: it works in the gateway's stages (tip stamping,
 * lure detection) and its sender-history purge job. Listed so every capability has one plugin.
 */
export const mailtipsPlugin: CapabilityPlugin = { name: 'mailtips' };
