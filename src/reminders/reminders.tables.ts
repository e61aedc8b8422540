/**
 * Tables of this capability, merged into the Database type in platform/db/schema.ts.
 * Same conventions as there: ISO-8601 UTC strings for times, 0/1 for booleans.
 * (`organisations.password_lifetime_days` is added by the same migration; see
 * reminders.repo.ts for how it is typed.)
 */
export interface PasswordReminderTable {
  account_id: string;
  /** The password this reminder is about: a new password starts a new series. */
  password_changed_at: string;
  lifetime_days: number;
  /** 18, 10, 5, 2 or 1. */
  days_before: number;
  notification_id: string | null;
  created_at: string;
}

export interface RemindersTables {
  password_reminders: PasswordReminderTable;
}

declare module '../platform/db/schema.js' {
  interface Database extends RemindersTables {}
}
