import type { FastifyError, FastifyInstance } from 'fastify';
import { describeError, RetryableError, ZeroopsError } from '../core/errors.ts';
import { isStoreUnavailable } from '../store/index.ts';

/** Body of every API error response. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

function storeUnavailable(err: unknown): RetryableError {
  return new RetryableError(
    'ZEROOPS_STORE_UNAVAILABLE',
    // The driver's message stays in the log: drizzle's includes the statement and its parameters.
    'the database is unavailable or did not answer in time; retry later (operators: check DATABASE_URL, the database server and ZEROOPS_DATABASE_STATEMENT_TIMEOUT_MS)',
    { cause: err, retryAfterMs: 5_000 },
  );
}

/**
 * The one error handler of the API: ZeroopsErrors keep their code and
 * status; a database that is down or does not answer in time is a 503
 * `ZEROOPS_STORE_UNAVAILABLE` with Retry-After; fastify's own validation, body-size and parse errors become 4xx
 * with a stable code; anything else is a 500 that is logged.
 */
export function installErrorHandler(app: FastifyInstance, count: (code: string, status: number) => void): void {
  app.setErrorHandler((err: FastifyError | ZeroopsError | Error, req, reply) => {
    let status = 500;
    let code = 'ZEROOPS_INTERNAL';
    let message = 'internal error';
    let details: unknown;
    if (!(err instanceof ZeroopsError) && isStoreUnavailable(err)) err = storeUnavailable(err);
    if (err instanceof RetryableError && err.retryAfterMs !== undefined) void reply.header('retry-after', Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
    if (err instanceof ZeroopsError) {
      status = err.statusCode;
      code = err.code;
      message = err.message;
      details = err.details;
    } else if ('validation' in err && err.validation) {
      status = 400;
      code = 'ZEROOPS_REQUEST_INVALID';
      message = err.message;
      details = err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message }));
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode < 500) {
      status = err.statusCode;
      code = status === 413 ? 'ZEROOPS_BODY_TOO_LARGE' : status === 415 ? 'ZEROOPS_UNSUPPORTED_MEDIA_TYPE' : 'ZEROOPS_REQUEST_INVALID';
      message = err.message;
    }
    if (status >= 500) req.log.error({ err: describeError(err) }, 'request failed');
    count(code, status);
    const body: ApiErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((_req, reply) => {
    count('ZEROOPS_NOT_FOUND', 404);
    void reply.status(404).send({ error: { code: 'ZEROOPS_NOT_FOUND', message: 'no such route; GET /api/v1/openapi.json lists the routes' } });
  });
}
