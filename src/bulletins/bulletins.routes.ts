import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { Conflict, NotFound } from '../platform/errors/errors.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { tryOrRerender } from '../platform/http/rerender.js';
import { longDate } from '../platform/notify/render.js';
import { type BulletinInput, CATEGORIES, excerpt } from './bulletins.js';
import {
  bulletinArchive, bulletinsFor, bulletinToEditFor, createBulletin, openBulletin, openNewBulletin, publishBulletin, updateBulletin,
} from './bulletins.commands.js';

function inputOf(body: unknown): BulletinInput {
  return { title: field(body, 'title'), category: field(body, 'category'), body: field(body, 'body') };
}

const FIELD_OF = (problem: string): string => (/title/i.test(problem) ? '#title' : /category/i.test(problem) ? '#category' : '#body');

function withDates<T extends { publishedAt: string | null; bodyMd: string }>(items: T[]): (T & { date: string; excerpt: string })[] {
  return items.map((b) => ({ ...b, date: b.publishedAt ? longDate(b.publishedAt) : '', excerpt: excerpt(b.bodyMd) }));
}

function idParam(req: FastifyRequest): string {
  const { id } = req.params as { id: string };
  if (!isId(id)) throw new NotFound();
  return id;
}

/** Reading: the list with unread markers, the archive, one bulletin (LAs and platform staff). */
function registerBulletinReading(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  app.get('/bulletins', async (req, reply) => {
    const category = queryParam(req, 'category');
    const r = await bulletinsFor(db, ctxOf(req, clock.now()), { category: category && (CATEGORIES as readonly string[]).includes(category) ? category : undefined });
    const flash = queryParam(req, 'published') ? { type: 'success', text: `Bulletin published. ${queryParam(req, 'published')} Local Administrator email(s) queued.` } : undefined;
    return renderPage(req, reply, config, 'bulletins/views/bulletins.njk', { items: withDates(r.items), unread: r.unread, drafts: r.drafts, flash });
  });

  app.get('/bulletins/archive', async (req, reply) => {
    const year = Number(queryParam(req, 'year') ?? '') || undefined;
    const category = queryParam(req, 'category');
    const validCategory = category && (CATEGORIES as readonly string[]).includes(category) ? category : undefined;
    const r = await bulletinArchive(db, ctxOf(req, clock.now()), { year, category: validCategory });
    return renderPage(req, reply, config, 'bulletins/views/archive.njk', { ...r, items: withDates(r.items), category: validCategory ?? '', categories: CATEGORIES });
  });

  app.get('/bulletins/:id', async (req, reply) => {
    const r = await openBulletin(db, ctxOf(req, clock.now()), idParam(req));
    const flash = queryParam(req, 'saved') ? { type: 'success', text: 'Draft saved. This is how Local Administrators will see it.' } : undefined;
    return renderPage(req, reply, config, 'bulletins/views/bulletin.njk', { ...r, date: r.bulletin.publishedAt ? longDate(r.bulletin.publishedAt) : '', flash });
  });
}

/** Writing (platform admins): a new draft, editing a draft, publishing it. */
function registerBulletinWriting(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const form = (req: FastifyRequest, reply: FastifyReply, data: { id?: string; values: BulletinInput; problems?: readonly string[] }) =>
    renderPage(req, reply, config, 'bulletins/views/bulletin-form.njk', {
      ...data, categories: CATEGORIES, problems: data.problems ?? [],
      errorList: (data.problems ?? []).map((text) => ({ text, href: FIELD_OF(text) })),
    });

  app.get('/bulletins/new', async (req, reply) => {
    openNewBulletin(ctxOf(req, clock.now()));
    return form(req, reply, { values: { title: '', category: 'Cyber security', body: '' } });
  });

  app.post('/bulletins', async (req, reply) => {
    const values = inputOf(req.body);
    return tryOrRerender(reply, async () => {
      const id = await createBulletin(db, ctxOf(req, clock.now()), values);
      return reply.redirect(`/bulletins/${id}`, 303);
    }, (p) => form(req, reply, { values, problems: p.error.problems }), { kinds: ['invalid'] });
  });

  app.get('/bulletins/:id/edit', async (req, reply) => {
    const id = idParam(req);
    const b = await bulletinToEditFor(db, ctxOf(req, clock.now()), id);
    if (b.status !== 'draft') return reply.redirect(`/bulletins/${id}`, 303);
    return form(req, reply, { id, values: { title: b.title, category: b.category, body: b.bodyMd } });
  });

  app.post('/bulletins/:id', async (req, reply) => {
    const id = idParam(req);
    const values = inputOf(req.body);
    try {
      return await tryOrRerender(reply, async () => {
        await updateBulletin(db, ctxOf(req, clock.now()), id, values);
        return reply.redirect(`/bulletins/${id}?saved=1`, 303);
      }, (p) => form(req, reply, { id, values, problems: p.error.problems }), { kinds: ['invalid'] });
    } catch (err) {
      if (err instanceof Conflict) return reply.redirect(`/bulletins/${id}`, 303);
      throw err;
    }
  });

  app.post('/bulletins/:id/publish', async (req, reply) => {
    const id = idParam(req);
    try {
      const r = await publishBulletin(db, ctxOf(req, clock.now()), config, id);
      return reply.redirect(`/bulletins?published=${r.recipients}`, 303);
    } catch (err) {
      if (err instanceof Conflict) return reply.redirect(`/bulletins/${id}`, 303);
      throw err;
    }
  });
}

/** LA bulletins: write, preview, publish (platform admins); read with unread markers, archive (LAs and platform staff). */
export function registerBulletinRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  registerBulletinReading(app, { config, db, clock });
  registerBulletinWriting(app, { config, db, clock });
}
