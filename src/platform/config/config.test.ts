import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { type ConfigSection, ConfigError, describeConfig, loadConfig } from './config.js';
import { configSections } from '../../main/config.js';

test('defaults give an embedded SQLite file under ./data and local addresses', () => {
  const c = loadConfig(configSections, {});
  assert.match(c.databaseUrl, /^sqlite:.*data\/postwarden\.sqlite$/);
  assert.equal(c.httpAddr, '127.0.0.1:8080');
  assert.equal(c.smtpAddr, '127.0.0.1:2525');
  assert.equal(c.metricsAddr, '127.0.0.1:9464', 'metrics on loopback, not on the portal');
  assert.equal(c.publicUrl, 'http://127.0.0.1:8080');
  assert.ok(Object.isFrozen(c));
});

test('environment variables use the POSTWARDEN_ prefix; DATABASE_URL selects PostgreSQL', () => {
  const c = loadConfig(configSections, { POSTWARDEN_HTTP_ADDR: '0.0.0.0:9000', DATABASE_URL: 'postgres://u:secret@db.example:5432/pw', POSTWARDEN_PLATFORM_DOMAIN: 'mail.example.org' });
  assert.equal(c.httpAddr, '0.0.0.0:9000');
  assert.equal(c.platformDomain, 'mail.example.org');
  assert.match(c.databaseUrl, /^postgres:/);
  assert.doesNotMatch(JSON.stringify(describeConfig(c, configSections)), /secret@/);
});

test("POSTWARDEN_METRICS_ADDR takes host:port or 'off'", () => {
  assert.equal(loadConfig(configSections, { POSTWARDEN_METRICS_ADDR: 'off' }).metricsAddr, 'off');
  assert.equal(loadConfig(configSections, { POSTWARDEN_METRICS_ADDR: '10.0.0.5:9100' }).metricsAddr, '10.0.0.5:9100');
  assert.throws(() => loadConfig(configSections, { POSTWARDEN_METRICS_ADDR: 'portal' }), (err: unknown) => err instanceof ConfigError && /POSTWARDEN_METRICS_ADDR/.test(err.problems.join()));
});

test('every problem is reported at once, by the name the user set', () => {
  try {
    loadConfig(configSections, { POSTWARDEN_HTTP_ADDR: 'nonsense', POSTWARDEN_SMTP_ADDR: 'x:99999', POSTWARDEN_PLATFORM_DOMAIN: 'not a domain', POSTWARDEN_SESSION_IDLE_MINUTES: '-3', POSTWARDEN_TYPO: '1' });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = err.problems.join('\n');
    for (const name of ['POSTWARDEN_HTTP_ADDR', 'POSTWARDEN_SMTP_ADDR', 'POSTWARDEN_PLATFORM_DOMAIN', 'POSTWARDEN_SESSION_IDLE_MINUTES', 'POSTWARDEN_TYPO']) {
      assert.match(text, new RegExp(name), `${name} not reported`);
    }
    assert.equal(err.problems.length, 5);
  }
});

test('the secret key is never shown by describeConfig', () => {
  const key = 'ab'.repeat(32);
  const c = loadConfig(configSections, { POSTWARDEN_SECRET_KEY: key });
  assert.equal(c.secretKeyConfigured, true);
  assert.doesNotMatch(JSON.stringify(describeConfig(c, configSections)), new RegExp(key));
});

test("a capability's section is validated with the platform's settings, every problem at once", () => {
  try {
    loadConfig(configSections, { POSTWARDEN_HTTP_ADDR: 'nonsense', POSTWARDEN_RECOVERY_MAX_FAILURES: '0', POSTWARDEN_SMTP_PROTOCOL: 'pop3', POSTWARDEN_MAILTIPS_TYPO: '1' });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems.map((p) => p.split(':')[0]).sort(), ['POSTWARDEN_HTTP_ADDR', 'POSTWARDEN_MAILTIPS_TYPO', 'POSTWARDEN_RECOVERY_MAX_FAILURES', 'POSTWARDEN_SMTP_PROTOCOL']);
  }
  const c = loadConfig(configSections, { POSTWARDEN_RECOVERY_MAX_FAILURES: '4', POSTWARDEN_ALLOW_CROWN_DEPENDENCY_MOBILES: 'false' });
  assert.equal(c.recoveryMaxFailures, 4);
  assert.equal(c.allowCrownDependencyMobiles, false);
  assert.equal(c.compromiseEscalationHours, 72, "a section's defaults apply");
});

test('the settings of a section not passed to loadConfig are unknown', () => {
  assert.throws(
    () => loadConfig([], { POSTWARDEN_RECOVERY_MAX_FAILURES: '3' }),
    (err: unknown) => err instanceof ConfigError && err.problems.join() === 'POSTWARDEN_RECOVERY_MAX_FAILURES: unknown setting',
  );
});

test("a section's secrets are masked; two sections may not define one key", () => {
  const section: ConfigSection = { name: 'vault', shape: { vaultToken: z.string().optional() }, defaults: {}, secrets: ['vaultToken'] };
  const c = loadConfig([section], { POSTWARDEN_VAULT_TOKEN: 'hunter2-token' });
  assert.equal((c as unknown as Record<string, unknown>).vaultToken, 'hunter2-token');
  assert.equal(describeConfig(c, [section]).vaultToken, '[set]');
  assert.throws(() => loadConfig([section, { ...section, name: 'copy' }], {}), /config section copy: setting vaultToken is defined twice/);
  assert.throws(() => loadConfig([{ ...section, shape: { httpAddr: z.string() } }], {}), /setting httpAddr is defined twice/);
});
