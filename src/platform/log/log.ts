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

/** Creates the process logger: JSON lines on stdout with secrets redacted. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: redactPaths, censor: '[redacted]' }, base: { service: 'postwarden' } },
    destination ?? process.stdout,
  );
}
