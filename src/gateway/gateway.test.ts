import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../platform/config/config.js';
import { workerCount } from './gateway.cluster.js';
import {
  authservIdOf, collapse, deliveryKey, messageDigest, receivedField, senderAuthenticated, senderVerdict, systemMailProblem, tipSender,
} from './gateway.js';
import { OVERSIGNED_FIELDS } from '../platform/notify/dkim.js';
import { foldedSkeleton, platformClaim } from './lookalike.js';
import { configSections } from '../main/config.js';

const P = { domain: 'platform.example', selector: 'pw1' };
const sealed = [...OVERSIGNED_FIELDS, 'from', 'to', 'subject', 'date', 'message-id', 'mime-version', 'content-type'];
const counts = new Map([['from', 1], ['to', 1], ['subject', 1], ['date', 1], ['message-id', 1], ['mime-version', 1], ['content-type', 1]]);
const genuine = {
  fromFields: 1, fromAddresses: ['no-reply@platform.example'], toAddresses: ['lee@trust.example'], ccAddresses: [], fieldCounts: counts,
  dkimPasses: [{ domain: 'platform.example', selector: 'pw1', signedFields: sealed }],
};

test('what claims to be the platform: the no-reply address and every look-alike of it, in any originator field', () => {
  const claim = (name: string, value: string): string | null => platformClaim([{ name, value }], 'Platform.Example');
  assert.match(claim('from', '"Postwarden" <no-reply@platform.example>')!, /from address looks like the no-reply/);
  assert.match(claim('from', 'noreply@platform.example')!, /no-reply/, 'separators do not matter');
  assert.match(claim('from', 'no-reply@alerts.platform.example')!, /no-reply/, 'a subdomain');
  assert.match(claim('from', '"no-reply@platform.example" <helpdesk@evil.example>')!, /display name/);
  assert.match(claim('from', '=?utf-8?B?bm8tcmVwbHlAcGxhdGZvcm0uZXhhbXBsZQ==?= <helpdesk@evil.example>')!, /display name/, 'RFC 2047 encoded');
  assert.match(claim('from', 'no-reply@pl\u0430tform.example')!, /no-reply/, 'Cyrillic a');
  assert.match(claim('from', 'no-reply@xn--pltform-3fg.example')!, /no-reply/, 'the same, IDNA-encoded');
  assert.match(claim('from', 'NO-REP1Y@P1ATFORM.EXAMPLE')!, /no-reply/, 'ASCII confusables, any case');
  assert.match(claim('from', 'lee@p1atform.example')!, /look-alike of the platform domain/);
  for (const f of ['sender', 'reply-to', 'resent-from', 'resent-sender']) assert.match(claim(f, 'no-reply@platform.example')!, new RegExp(`^${f} `));
  assert.equal(claim('from', 'lee@platform.example'), null, 'an account at the platform domain is not the platform');
  assert.equal(claim('from', 'lee@trust.platform.example'), null);
  assert.equal(claim('from', '"lee@platform.example" <lee@platform.example>'), null);
  assert.equal(claim('from', 'no-reply@partner.example'), null);
  assert.equal(claim('to', 'no-reply@platform.example'), null, 'only originator fields');
  assert.equal(foldedSkeleton('ｐｌａｔｆｏｒｍ'), foldedSkeleton('platform'), 'UTS #39 skeleton');
});

test('system mail is genuine only when signed with the platform key and addressed to the recipient alone', () => {
  assert.match(systemMailProblem({ ...genuine, fromAddresses: ['helpdesk@evil.example'] }, 'lee@trust.example', P)!, /not the no-reply address/, 'a look-alike is never genuine');
  assert.match(systemMailProblem({ ...genuine, fieldCounts: new Map([...counts, ['reply-to', 1]]) }, 'lee@trust.example', P)!, /added after/, 'a Reply-To the signature did not seal');
  assert.match(systemMailProblem({ ...genuine, dkimPasses: [{ ...genuine.dkimPasses[0]!, signedFields: ['from', 'to', 'subject'] }] }, 'lee@trust.example', P)!, /added after/, 'a signature that does not over-sign');
  assert.equal(systemMailProblem(genuine, 'Lee@Trust.example', P), null);
  assert.match(systemMailProblem({ ...genuine, dkimPasses: [] }, 'lee@trust.example', P)!, /DKIM/);
  assert.match(systemMailProblem({ ...genuine, dkimPasses: [{ domain: 'platform.example', selector: 'other', signedFields: sealed }] }, 'lee@trust.example', P)!, /DKIM/);
  assert.match(systemMailProblem({ ...genuine, dkimPasses: [{ domain: 'evil.example', selector: 'pw1', signedFields: sealed }] }, 'lee@trust.example', P)!, /DKIM/);
  assert.match(systemMailProblem(genuine, 'sam@trust.example', P)!, /own address/, 'another recipient of the same message');
  assert.match(systemMailProblem({ ...genuine, toAddresses: ['lee@trust.example', 'sam@trust.example'] }, 'lee@trust.example', P)!, /alone/);
  assert.match(systemMailProblem({ ...genuine, ccAddresses: ['sam@trust.example'] }, 'lee@trust.example', P)!, /alone/);
  assert.match(systemMailProblem({ ...genuine, fromFields: 2 }, 'lee@trust.example', P)!, /From/);
});

test('one SMTP reply per message: all served → 250; any temporary failure → 451; else 550 saying what happened', () => {
  const ok = collapse([{ recipient: 'a@x', disposition: { kind: 'delivered' } }, { recipient: 'b@x', disposition: { kind: 'quarantined', id: 'q' } }, { recipient: 'c@x', disposition: { kind: 'report', reportId: 'r' } }]);
  assert.equal(ok.combined.code, 250);
  assert.deepEqual(ok.servedButRefused, []);
  const temp = collapse([{ recipient: 'a@x', disposition: { kind: 'delivered' } }, { recipient: 'b@x', disposition: { kind: 'tempfail', text: '4.3.0 later' } }, { recipient: 'c@x', disposition: { kind: 'permfail', text: '5.1.1 no' } }]);
  assert.deepEqual(temp.combined, { code: 451, text: '4.3.0 later' });
  assert.deepEqual(temp.servedButRefused, ['a@x'], 'the retry must skip a@x');
  assert.deepEqual(temp.perRecipient.map((r) => r.code), [250, 451, 550], 'LMTP answers each recipient');
  const perm = collapse([{ recipient: 'a@x', disposition: { kind: 'already' } }, { recipient: 'b@x', disposition: { kind: 'permfail', text: '5.2.2 mailbox full' } }]);
  assert.equal(perm.combined.code, 550);
  assert.match(perm.combined.text, /Not delivered to b@x.*mailbox full.*accepted for a@x/);
  assert.equal(collapse([{ recipient: 'b@x', disposition: { kind: 'permfail', text: '5.2.2 full' } }]).combined.text, '5.2.2 full');
});

test('a message keeps its identity across retries even when trace headers change', () => {
  const body = 'Subject: s\r\nMessage-ID: <1@x>\r\n\r\nbody';
  const one = Buffer.from(`Received: first\r\n${body}`);
  const two = Buffer.from(`Received: again\r\nReceived: first\r\n${body}`);
  const d1 = messageDigest('S@X.example', '<1@x>', one, one.indexOf('\r\n\r\n') + 4);
  assert.equal(d1, messageDigest('s@x.example', '<1@x>', two, two.indexOf('\r\n\r\n') + 4));
  assert.notEqual(d1, messageDigest('s@x.example', '<2@x>', two, two.indexOf('\r\n\r\n') + 4));
  assert.notEqual(messageDigest('s@x', null, one, 0), messageDigest('s@x', null, two, 0), 'without a Message-ID the whole message counts');
  const key = Buffer.alloc(32, 1);
  assert.equal(deliveryKey(key, d1, 'A@x.example'), deliveryKey(key, d1, 'a@x.example'));
  assert.match(deliveryKey(key, d1, 'a@x.example'), /^[0-9a-f]{40}$/);
  assert.notEqual(deliveryKey(key, d1, 'a@x.example'), deliveryKey(Buffer.alloc(32, 2), d1, 'a@x.example'));
});

test('authserv-id, sender alignment, tip sender, Received field', () => {
  assert.equal(authservIdOf(' Platform.Example 1; dkim=pass'), 'platform.example');
  assert.equal(authservIdOf('platform.example;spf=pass'), 'platform.example');
  const f = { fromDomain: 'trust.example', mailFromDomain: 'bounce.example', dmarcPass: false, dkimPassDomains: [] as string[], spfPass: false };
  assert.equal(senderAuthenticated(f), false);
  assert.equal(senderAuthenticated({ ...f, dmarcPass: true }), true);
  assert.equal(senderAuthenticated({ ...f, dkimPassDomains: ['Trust.example'] }), true);
  assert.equal(senderAuthenticated({ ...f, spfPass: true }), false, 'SPF for another domain does not align');
  assert.equal(senderAuthenticated({ ...f, spfPass: true, mailFromDomain: 'trust.example' }), true);
  // Once per message: the visible From (else the envelope sender) and the same rule.
  const m = { fromAddresses: ['Lee@Trust.example'], mailFrom: 'bounce@lists.example', dmarcPass: false, dkimPassDomains: ['trust.example'], spfPass: true };
  assert.deepEqual(senderVerdict(m), { address: 'lee@trust.example', authenticated: true });
  assert.deepEqual(senderVerdict({ ...m, dkimPassDomains: [] }), { address: 'lee@trust.example', authenticated: false }, 'SPF passed for the envelope domain only');
  assert.deepEqual(senderVerdict({ ...m, fromAddresses: [], dkimPassDomains: [] }), { address: 'bounce@lists.example', authenticated: true });
  assert.equal(tipSender(['a@x.example'], 'B@Y.example'), 'a@x.example');
  assert.equal(tipSender([], 'B@Y.example'), 'b@y.example');
  const r = receivedField({ helo: 'mx.example\r\nX-Injected: 1', remoteAddress: '192.0.2.1', hostname: 'gw.example', secure: true, protocol: 'smtp', sessionId: 'abc', now: new Date('2026-01-02T03:04:05Z') });
  assert.match(r, /^Received: from mx\.exampleX-Injected:1 \(\[192\.0\.2\.1\]\)\r\n\tby gw\.example \(Postwarden\) with ESMTPS id abc;\r\n\tFri, 02 Jan 2026 03:04:05 \+0000\r\n$/);
});

test('gateway settings: names, defaults and every bad value reported at once', () => {
  const d = loadConfig(configSections, {});
  assert.equal(d.relay, undefined, 'default next hop: the embedded Maildir store');
  assert.equal(d.gatewayWorkers, 'auto');
  assert.ok(workerCount(d) >= 1 && workerCount(d) <= 8);
  assert.equal(d.arcSeal, false);
  const c = loadConfig(configSections, { POSTWARDEN_RELAY: 'lmtp://[::1]:24', POSTWARDEN_GATEWAY_WORKERS: '0', POSTWARDEN_ARC_SEAL: 'true', POSTWARDEN_DNS_RESOLVER: '10.0.0.53, 10.0.0.54:5353' });
  assert.equal(c.relay, 'lmtp://[::1]:24');
  assert.equal(workerCount(c), 0);
  assert.equal(c.arcSeal, true);
  try {
    loadConfig(configSections, { POSTWARDEN_RELAY: 'http://x:1', POSTWARDEN_GATEWAY_WORKERS: 'many', POSTWARDEN_SMTP_PROTOCOL: 'pop3', POSTWARDEN_DNS_RESOLVER: 'dns.example' });
    assert.fail('expected ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    for (const name of ['POSTWARDEN_RELAY', 'POSTWARDEN_GATEWAY_WORKERS', 'POSTWARDEN_SMTP_PROTOCOL', 'POSTWARDEN_DNS_RESOLVER']) assert.match(err.message, new RegExp(name));
  }
});

