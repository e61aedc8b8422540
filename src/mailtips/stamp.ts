import type { TipDecision } from './mailtips.service.js';

/**
 * Removes inbound headers and banners that imitate ours (so a sender can neither forge
 * nor suppress a tip). Pure; MIME-safe; returns the input unchanged when there is nothing to strip.
 */
export function stripImitations(raw: Buffer): Buffer {
  void raw;
  throw new Error('stripImitations: not implemented yet (issue 6, mailtips)');
}

/**
 * Adds the X-Postwarden-Safety-Tip header and a visible, accessible banner at the top of the
 * text and HTML parts. Pure; MIME-safe for every charset, encoding and structure.
 */
export function stampTips(raw: Buffer, decision: TipDecision, opts: { serviceName: string }): Buffer {
  void raw; void decision; void opts;
  throw new Error('stampTips: not implemented yet (issue 6, mailtips)');
}
