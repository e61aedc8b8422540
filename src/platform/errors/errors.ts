/**
 * The few domain errors every capability throws. The HTTP and SMTP edges map them
 * to a status or a reply by `code`; nothing else should be thrown on purpose.
 */
export type ErrorCode = 'not_found' | 'forbidden' | 'invalid' | 'conflict' | 'rate_limited' | 'unauthenticated';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Field-level problems for forms and API callers: safe to show to the caller. */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The thing does not exist *or the caller may not know that it exists*. */
export class NotFound extends DomainError {
  constructor(message = 'Not found') {
    super('not_found', message);
  }
}

/** The caller is known and may know the thing exists, but may not do this. */
export class Forbidden extends DomainError {
  constructor(message = 'Forbidden') {
    super('forbidden', message);
  }
}

export class Invalid extends DomainError {
  constructor(message: string, problems: readonly string[] = []) {
    super('invalid', message, problems);
  }
}

export class Conflict extends DomainError {
  constructor(message: string) {
    super('conflict', message);
  }
}

export class RateLimited extends DomainError {
  constructor(message = 'Too many attempts. Try again later.', readonly retryAfterSeconds = 60) {
    super('rate_limited', message);
  }
}

export class Unauthenticated extends DomainError {
  constructor(message = 'Sign in required') {
    super('unauthenticated', message);
  }
}

/** HTTP status for each domain error code. */
export const httpStatusFor: Record<ErrorCode, number> = {
  not_found: 404,
  forbidden: 403,
  invalid: 400,
  conflict: 409,
  rate_limited: 429,
  unauthenticated: 401,
};
