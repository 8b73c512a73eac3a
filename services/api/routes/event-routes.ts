import { Type } from '@sinclair/typebox';
import { createEventFeed, type FeedEvent } from '../../reports/index.ts';
import { responses } from '../api-schemas.ts';
import type { RouteModule } from '../deps.ts';
import { Text } from '../schemas.ts';

/** A comment line every this many ms keeps proxies and the browser from closing an idle stream. */
export const EVENTS_PING_MS = 15_000;

function frame(e: FeedEvent): string {
  return `event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * `GET /api/v1/events`: server-sent events `incident` (an incident opened,
 * changed or closed; data: the incident) and `execution` (data: id, status,
 * outcome, playbookName, service), read from the store, so changes made by
 * any process arrive. The token may be sent as `?token=` (EventSource).
 */
export const eventRoutes: RouteModule = (app, deps) => {
  const feed = createEventFeed({ db: deps.store.db, logger: deps.logger.child({ component: 'events' }) });
  const open = new Set<() => void>();
  // Before the server closes: it waits for open connections, and a stream never ends by itself.
  app.addHook('preClose', async () => {
    for (const end of open) end();
    feed.close();
  });
  app.get(
    '/api/v1/events',
    {
      config: { access: 'viewer', tokenInQuery: true },
      schema: {
        tags: ['incidents'],
        description:
          'Server-sent events (text/event-stream): `incident` when an incident opens, changes or closes, `execution` when an execution changes; `: ping` every 15 s. Also takes the token as `?token=` (for EventSource).',
        querystring: Type.Object({ token: Type.Optional(Text({ description: 'The API token, for clients that cannot send an Authorization header.' })) }),
        response: responses({ 200: Type.Unsafe({ content: { 'text/event-stream': { schema: Type.String() } } }) }),
      },
    },
    async (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': connected\n\n');
      const unsubscribe = feed.subscribe((e) => void res.write(frame(e)));
      const ping = setInterval(() => void res.write(': ping\n\n'), EVENTS_PING_MS);
      ping.unref();
      const end = () => {
        clearInterval(ping);
        unsubscribe();
        open.delete(end);
        res.end();
      };
      open.add(end);
      req.raw.on('close', end);
    },
  );
};
