import type { Db } from '../db/db.js';
import type { NotificationTable } from './notify.tables.js';

/** Inserts an outbox row; with a dedupe key that already exists, inserts nothing. */
export async function insertNotification(trx: Db, row: NotificationTable): Promise<boolean> {
  const r = await trx.insertInto('notifications').values(row).onConflict((oc) => oc.column('dedupe_key').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
}
