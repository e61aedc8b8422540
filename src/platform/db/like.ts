import { type Expression, type RawBuilder, sql, type SqlBool } from 'kysely';

/**
 * LIKE searches that match the user's text literally. `%` and `_` are LIKE's wildcards
 * and `\` our escape character; each is escaped, and the comparison names its escape
 * character (`ESCAPE '\'`), which SQLite has no default for and PostgreSQL gets the same
 * way. So a search for `_` or `%` finds only a literal `_` or `%`.
 */

/** The text with LIKE's special characters escaped (`\` first, so no escape is doubled). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** `value LIKE pattern ESCAPE '\'`; build the pattern from escapeLike's output. */
export function likeEscaped(value: Expression<string | null>, pattern: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`${value} like ${pattern} escape '\\'`;
}

/** Rows whose value contains the text anywhere. */
export function containsText(value: Expression<string | null>, text: string): RawBuilder<SqlBool> {
  return likeEscaped(value, `%${escapeLike(text)}%`);
}

/** Rows whose value starts with the text. */
export function startsWithText(value: Expression<string | null>, text: string): RawBuilder<SqlBool> {
  return likeEscaped(value, `${escapeLike(text)}%`);
}

/** Rows whose value ends with the text. */
export function endsWithText(value: Expression<string | null>, text: string): RawBuilder<SqlBool> {
  return likeEscaped(value, `%${escapeLike(text)}`);
}
