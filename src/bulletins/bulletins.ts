import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/** LA bulletins: types and pure rules (validation, Markdown rendering). No I/O. */

export const CATEGORIES = ['Cyber security', 'Service update', 'Policy', 'Maintenance', 'General'] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Bulletin {
  id: string;
  title: string;
  category: string;
  bodyMd: string;
  status: 'draft' | 'published';
  createdAt: string;
  updatedAt: string;
  publishedAt: string | null;
}

export interface BulletinInput {
  title: string;
  category: string;
  body: string;
}

export const MAX_BODY = 50_000;

/** Problems with a bulletin as typed into the form (empty when it is fine). */
export function bulletinProblems(input: BulletinInput): string[] {
  const problems: string[] = [];
  const title = input.title.trim();
  if (title.length < 3 || title.length > 150) problems.push('Enter a title of 3 to 150 characters.');
  if (!(CATEGORIES as readonly string[]).includes(input.category)) problems.push(`Choose a category: ${CATEGORIES.join(', ')}.`);
  if (!input.body.trim()) problems.push('Enter the text of the bulletin.');
  if (input.body.length > MAX_BODY) problems.push(`The text must be at most ${MAX_BODY.toLocaleString('en-GB')} characters.`);
  return problems;
}

// Raw HTML in the Markdown is shown as text (html: false); the output is sanitised again
// (defence in depth), # becomes a second-level heading like ## (the page has its own
// <h1>) so levels never skip, and
// links keep only http(s) and mailto.
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: ['h2', 'h3', 'h4', 'p', 'br', 'hr', 'ul', 'ol', 'li', 'strong', 'em', 'a', 'code', 'pre', 'blockquote', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  allowedAttributes: { a: ['href'], th: ['scope'], ol: ['start'] },
  allowedSchemes: ['https', 'http', 'mailto'],
  allowProtocolRelative: false,
  transformTags: {
    h1: 'h2', h4: 'h4', h5: 'h4', h6: 'h4',
    th: (tagName, attribs) => ({ tagName, attribs: { ...attribs, scope: 'col' } }),
  },
};

/** Markdown → safe HTML for the portal and the email. */
export function renderBulletinHtml(markdown: string): string {
  return sanitizeHtml(md.render(markdown), SANITIZE);
}

/** The first paragraph as plain text, for lists (at most `max` characters). */
export function excerpt(markdown: string, max = 200): string {
  const html = md.render(markdown);
  const para = /<p>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? html;
  const text = sanitizeHtml(para, { allowedTags: [], allowedAttributes: {} })
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}
