import { createHash } from 'node:crypto';

/**
 * The audit trail's pure core: how an event is hashed into the chain and how a chain
 * is checked. Each event carries the SHA-256 of the one before it; changing, removing
 * or reordering any event breaks every link after it.
 */

export const GENESIS_HASH = '0'.repeat(64);

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditRecord {
  seq: number;
  at: string;
  actorId: string | null;
  actorEmail: string | null;
  actorRole: string | null;
  organisationId: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  requestId: string | null;
  outcome: AuditOutcome;
  /** Canonical JSON text of the event's details. */
  details: string;
}

export interface ChainedRecord extends AuditRecord {
  prevHash: string;
  hash: string;
}

/** SHA-256 over the previous hash and every field, in a fixed order. */
export function hashEvent(prevHash: string, e: AuditRecord): string {
  const canonical = JSON.stringify([
    e.seq, e.at, e.actorId, e.actorEmail, e.actorRole, e.organisationId, e.action, e.target, e.ip, e.requestId, e.outcome, e.details,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

/** JSON with keys sorted, so that the same details always hash the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export interface ChainBreak {
  seq: number;
  reason: string;
}

/**
 * Checks a chain incrementally: feed events in `seq` order, then call `finish` with the
 * head the database records. Returns the first broken link, if any.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  checked = 0;
  broken: ChainBreak | null = null;

  /** Returns false once the chain is broken (later events are not checked). */
  add(e: ChainedRecord): boolean {
    if (this.broken) return false;
    if (e.seq !== this.expectedSeq) {
      this.broken = e.seq > this.expectedSeq
        ? { seq: this.expectedSeq, reason: `event ${this.expectedSeq} is missing (next present is ${e.seq})` }
        : { seq: e.seq, reason: `event ${e.seq} is out of order` };
      return false;
    }
    if (e.prevHash !== this.prevHash) {
      this.broken = { seq: e.seq, reason: `event ${e.seq} does not link to event ${e.seq - 1} (deleted, reordered or edited before it)` };
      return false;
    }
    if (hashEvent(e.prevHash, e) !== e.hash) {
      this.broken = { seq: e.seq, reason: `event ${e.seq} was edited: its content does not match its hash` };
      return false;
    }
    this.prevHash = e.hash;
    this.expectedSeq++;
    this.checked++;
    return true;
  }

  /** Compares the end of the chain with the recorded head (detects removal of the newest events). */
  finish(head: { seq: number; hash: string }): ChainBreak | null {
    if (this.broken) return this.broken;
    const lastSeq = this.expectedSeq - 1;
    if (head.seq !== lastSeq || head.hash !== this.prevHash) {
      this.broken = head.seq > lastSeq
        ? { seq: lastSeq + 1, reason: `events ${lastSeq + 1}–${head.seq} are missing from the end of the trail` }
        : { seq: head.seq, reason: `the chain head (event ${head.seq}) does not match the last event ${lastSeq}` };
    }
    return this.broken;
  }
}
