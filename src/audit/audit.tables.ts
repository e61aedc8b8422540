// Times are ISO-8601 UTC text and booleans 0/1 in both databases (see platform/db/schema.ts).

export interface AuditEventTable {
  seq: number;
  at: string;
  actor_id: string | null;
  actor_email: string | null;
  actor_role: string | null;
  organisation_id: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  request_id: string | null;
  outcome: 'success' | 'failure' | 'denied';
  details: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** The hash-chained audit trail and its head. */
export interface AuditTables {
  audit_events: AuditEventTable;
  audit_head: AuditHeadTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends AuditTables {}
}
