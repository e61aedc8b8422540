/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 */
export interface BulletinTable {
  id: string;
  title: string;
  category: string;
  /** Markdown source; rendered (html off) and sanitised whenever it is shown or sent. */
  body_md: string;
  status: 'draft' | 'published';
  created_by: string | null;
  created_at: string;
  updated_at: string;
  published_at: string | null;
  published_by: string | null;
}

export interface BulletinReadTable {
  bulletin_id: string;
  account_id: string;
  read_at: string;
}

export interface BulletinsTables {
  bulletins: BulletinTable;
  bulletin_reads: BulletinReadTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends BulletinsTables {}
}
