import assert from 'node:assert/strict';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type DatabaseHandle, openDatabase } from '../platform/db/db.js';
import { createTestDatabase, pgSkipReason } from '../platform/testing/databases.js';
import { makeAccount, makeOrganisation } from '../platform/testing/factories.js';
import { type TestGateway, message, sendRaw, startTestGateway } from './gateway.testing.js';

/**
 * Database unreachable → 451, never 250. The gateway reaches PostgreSQL through a TCP
 * proxy the test cuts (every connection dropped, new ones refused) and then restores.
 */

interface Proxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
}


async function startProxy(targetHost: string, targetPort: number): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = (): Promise<void> => new Promise((resolve) => {
    server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.listen(port, '127.0.0.1', () => {
      port = (server.address() as { port: number }).port;
      resolve();
    });
  });
  await listen();
  return {
    get port() { return port; },
    async cut() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
    restore: listen,
  };
}

describe('database unreachable [postgres]', { skip: pgSkipReason ? `PostgreSQL half skipped: ${pgSkipReason}` : false }, () => {
  let direct: DatabaseHandle & { url: string; drop(): Promise<void> };
  let proxied: DatabaseHandle;
  let proxy: Proxy;
  let g: TestGateway;
  let lee: string;
  let sam: string;
  before(async () => {
    direct = await createTestDatabase('postgres');
    const org = await makeOrganisation(direct.db);
    lee = (await makeAccount(direct.db, { organisationId: org.id, email: `lee@${org.domain}` })).email;
    sam = (await makeAccount(direct.db, { organisationId: org.id, email: `sam@${org.domain}` })).email;
    const u = new URL(direct.url);
    proxy = await startProxy(u.hostname, Number(u.port || 5432));
    // The production wiring (openDatabase), only through the proxy: same schema, same pool.
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
    proxied = await openDatabase(u.toString(), { poolSize: 4 });
    g = await startTestGateway(proxied.db);
  });
  after(async () => {
    await g?.close();
    await proxied?.close();
    await proxy?.cut();
    await direct?.drop();
  });

  test('while the database is unreachable every message gets 451; afterwards mail flows again', async () => {
    const ok = await sendRaw(g.port, { from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee, subject: 'Before' }) });
    assert.equal(ok.code, 250, ok.response);

    await proxy.cut();
    // A recipient the gateway has cached, a new sender (its history is in the database) …
    const cached = await sendRaw(g.port, { from: 'b@sender.example', to: [lee], raw: message({ from: 'b@sender.example', to: lee, subject: 'During 1' }) });
    assert.equal(cached.code, 451, cached.response);
    // … a recipient it has never looked up …
    const uncached = await sendRaw(g.port, { from: 'a@sender.example', to: [sam], raw: message({ from: 'a@sender.example', to: sam, subject: 'During 2' }) });
    assert.equal(uncached.code, 451, uncached.response);
    // … and the very same sender and recipient as before.
    const known = await sendRaw(g.port, { from: 'a@sender.example', to: [lee], raw: message({ from: 'a@sender.example', to: lee, subject: 'During 3' }) });
    assert.equal(known.code, 451, known.response);
    assert.equal(g.maildir(sam).length, 0);

    await proxy.restore();
    let after = { code: 0, response: '' };
    for (let i = 0; i < 40 && after.code !== 250; i++) {
      after = await sendRaw(g.port, { from: 'a@sender.example', to: [sam], raw: message({ from: 'a@sender.example', to: sam, subject: 'After', id: 'after-1@x' }) });
      if (after.code !== 250) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(after.code, 250, after.response);
    assert.equal(g.maildir(sam).filter((m) => m.includes('Subject: After')).length, 1);
  });
});
