import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { Conflict, Invalid, NotFound } from '../platform/errors/errors.js';
import { ctxOf, field, isId, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { longDate } from '../platform/notify/render.js';
import { type BulletinInput, CATEGORIES, excerpt } from './bulletins.js';
import { bulletinArchive, bulletinsFor, createBulletin, openBulletin, publishBulletin, updateBulletin } from './bulletins.commands.js';
import { findBulletin } from './bulletins.repo.js';
import { authorizeWriteBulletins } from './bulletins.policy.js';

function inputOf(body: unknown): BulletinInput {
  return { title: field(body, 'title'), category: field(body, 'category'), body: field(body, 'body') };
}

const FIELD_OF = (problem: string): string => (/title/i.test(problem) ? '#title' : /category/i.test(problem) ? '#category' : '#body');

function withDates<T extends { publishedAt: string | null; bodyMd: string }>(items: T[]): (T & { date: string; excerpt: string })[] {
  return items.map((b) => ({ ...b, date: b.publishedAt ? longDate(b.publishedAt) : '', excerpt: excerpt(b.bodyMd) }));
}

/** LA bulletins: write, preview, publish (platform admins); read with unread markers, archive (LAs and platform staff). */
export function registerBulletinRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  const form = (req: FastifyRequest, reply: FastifyReply, data: { id?: string; values: BulletinInput; problems?: readonly string[] }) =>
    renderPage(req, reply, config, 'bulletins/views/bulletin-form.njk', {
      ...data, categories: CATEGORIES, problems: data.problems ?? [],
      errorList: (data.problems ?? []).map((text) => ({ text, href: FIELD_OF(text) })),
    });

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

  app.get('/bulletins/new', async (req, reply) => {
    authorizeWriteBulletins(req.actor);
    return form(req, reply, { values: { title: '', category: 'Cyber security', body: '' } });
  });

  app.post('/bulletins', async (req, reply) => {
    const values = inputOf(req.body);
    try {
      const id = await createBulletin(db, ctxOf(req, clock.now()), values);
      return reply.redirect(`/bulletins/${id}`, 303);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      reply.code(400);
      return form(req, reply, { values, problems: err.problems });
    }
  });

  app.get('/bulletins/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const r = await openBulletin(db, ctxOf(req, clock.now()), id);
    const flash = queryParam(req, 'saved') ? { type: 'success', text: 'Draft saved. This is how Local Administrators will see it.' } : undefined;
    return renderPage(req, reply, config, 'bulletins/views/bulletin.njk', { ...r, date: r.bulletin.publishedAt ? longDate(r.bulletin.publishedAt) : '', flash });
  });

  app.get('/bulletins/:id/edit', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    authorizeWriteBulletins(req.actor);
    const b = await findBulletin(db, id, { includeDrafts: true });
    if (!b) throw new NotFound();
    if (b.status !== 'draft') return reply.redirect(`/bulletins/${id}`, 303);
    return form(req, reply, { id, values: { title: b.title, category: b.category, body: b.bodyMd } });
  });

  app.post('/bulletins/:id', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    const values = inputOf(req.body);
    try {
      await updateBulletin(db, ctxOf(req, clock.now()), id, values);
      return reply.redirect(`/bulletins/${id}?saved=1`, 303);
    } catch (err) {
      if (err instanceof Invalid) {
        reply.code(400);
        return form(req, reply, { id, values, problems: err.problems });
      }
      if (err instanceof Conflict) return reply.redirect(`/bulletins/${id}`, 303);
      throw err;
    }
  });

  app.post('/bulletins/:id/publish', async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isId(id)) throw new NotFound();
    try {
      const r = await publishBulletin(db, ctxOf(req, clock.now()), config, id);
      return reply.redirect(`/bulletins?published=${r.recipients}`, 303);
    } catch (err) {
      if (err instanceof Conflict) return reply.redirect(`/bulletins/${id}`, 303);
      throw err;
    }
  });
}
