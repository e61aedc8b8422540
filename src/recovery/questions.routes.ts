import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RouteDeps } from '../platform/http/plugin.js';
import { safeNext } from '../platform/http/auth.js';
import { ctxOf, field, queryParam } from '../platform/http/ctx.js';
import { renderPage } from '../platform/http/render.js';
import { type FieldProblem, QUESTIONS } from './recovery.js';
import { hasSecurityQuestions, ownSecurityQuestions, QuestionsInvalid, setOwnSecurityQuestions } from './questions.commands.js';

/**
 * Set when a sign-in completes for an account without security questions: every page
 * then leads to the questions page until they are set or postponed (for this sign-in).
 */
export const QUESTIONS_PROMPT_COOKIE = 'pw_sq_prompt';

/** The path a user is sent to when prompted; `next` is where they were going. */
export function questionsPromptPath(next: string): string {
  return `/security/questions?prompt=1&next=${encodeURIComponent(next || '/')}`;
}

function nextOf(req: FastifyRequest): string | undefined {
  const n = queryParam(req, 'next');
  return n ? safeNext(n) : undefined;
}

/** The user's own security questions, and the sign-in prompt. */
export function registerQuestionRoutes(app: FastifyInstance, { config, db, clock }: RouteDeps): void {
  // The prompt: after a complete sign-in (see signin.routes.ts), pages lead here until done or postponed.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'GET' || !req.cookies[QUESTIONS_PROMPT_COOKIE]) return;
    if ((req.routeOptions.config?.auth ?? 'session') !== 'session' || !req.routeOptions.url) return;
    if (!req.account || req.sessionStage !== 'full' || req.account.mustChangePassword) return;
    const path = req.url.split('?')[0]!;
    if (path.startsWith('/security/questions') || path === '/password/change' || /\.(csv|json)$/.test(path)) return;
    if (await hasSecurityQuestions(db, req.account.id)) {
      reply.clearCookie(QUESTIONS_PROMPT_COOKIE, { path: '/' });
      return;
    }
    return reply.redirect(questionsPromptPath(req.url), 303);
  });

  async function page(req: FastifyRequest, reply: FastifyReply, extra: { problems?: FieldProblem[]; chosen?: string[] } = {}): Promise<FastifyReply> {
    const own = await ownSecurityQuestions(db, ctxOf(req, clock.now()));
    const problems = extra.problems ?? [];
    return renderPage(req, reply, config, 'recovery/views/questions.njk', {
      questions: QUESTIONS, current: own.questions.length === 3 ? own.questions : [], setAt: own.setAt?.slice(0, 10),
      chosen: extra.chosen ?? (own.questions.length === 3 ? own.questions : ['', '', '']),
      errors: Object.fromEntries(problems.map((p) => [p.field, p.text]).reverse()),
      errorList: problems.map((p) => ({ text: p.text, href: `#${p.field}` })),
      prompt: queryParam(req, 'prompt') === '1' && own.questions.length !== 3, next: nextOf(req), saved: queryParam(req, 'saved') === '1',
    });
  }

  app.get('/security/questions', async (req, reply) => page(req, reply));

  app.post('/security/questions', async (req, reply) => {
    const chosen = [1, 2, 3].map((n) => field(req.body, `question${n}`));
    const entries = chosen.map((question, i) => ({ question, answer: field(req.body, `answer${i + 1}`) }));
    try {
      await setOwnSecurityQuestions(db, ctxOf(req, clock.now()), config.secretKey, { currentPassword: field(req.body, 'currentPassword'), entries });
    } catch (err) {
      if (!(err instanceof QuestionsInvalid)) throw err;
      reply.code(400);
      return page(req, reply, { problems: err.fieldProblems, chosen });
    }
    reply.clearCookie(QUESTIONS_PROMPT_COOKIE, { path: '/' });
    const next = nextOf(req);
    return reply.redirect(next ?? '/security/questions?saved=1', 303);
  });

  // Postpone for this sign-in only: the next sign-in sets the prompt again.
  app.post('/security/questions/later', async (req, reply) => {
    reply.clearCookie(QUESTIONS_PROMPT_COOKIE, { path: '/' });
    return reply.redirect(nextOf(req) ?? '/', 303);
  });
}
