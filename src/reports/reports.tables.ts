/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ReportsTables {}
