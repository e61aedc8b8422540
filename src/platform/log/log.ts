import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that must never reach a log line, whatever a caller passes. Request bodies are
 * never logged at all (Fastify's serializers log method/url/status only); this list is
 * the second line of defence for objects that carry secrets by accident.
 */
export const redactPaths = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'secretKey',
  '*.secretKey',
  'answer',
  '*.answer',
  'answers',
  '*.answers',
  'otp',
  '*.otp',
  'body',
  '*.body',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * A request URL fit for a log line: the path, and the query's names with every value
 * replaced, since values carry searches, addresses and one-time links
 * (`/accounts?q=[redacted]&page=[redacted]`). Paths carry only ids.
 */
export function redactUrl(url: string): string {
  const i = url.indexOf('?');
  if (i < 0) return url;
  const names = url.slice(i + 1).split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? p.slice(0, 40) : `${p.slice(0, Math.min(eq, 40))}=[redacted]`;
  });
  return `${url.slice(0, i)}?${names.join('&')}`;
}

/** What a request log line says of the request (Fastify's own would log the full URL). */
function requestSerializer(req: { method?: string; url?: string; host?: string; ip?: string }): Record<string, unknown> {
  return { method: req.method, url: typeof req.url === 'string' ? redactUrl(req.url) : undefined, host: req.host, remoteAddress: req.ip };
}

/** Creates the process logger: JSON lines on stdout with secrets redacted and request URLs without query values. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'postwarden' }, serializers: { req: requestSerializer } },
    destination ?? process.stdout,
  );
}
