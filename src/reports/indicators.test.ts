import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { senderAuthenticated } from '../gateway/gateway.js';
import { authenticatedSampleSender, internalOrigin, parseSample, sampleAuthFacts } from './indicators.js';
import { phishMessage } from './reports.testing.js';

/** A stored sample's Authentication-Results are read into facts and judged by the gateway's one rule. */

const ID = 'postwarden.test';
const indicators = async (authResults: string, from = 'alice@trust.example') => (await parseSample(phishMessage({ from, authResults }))).indicators;

describe('sample sender authentication', () => {
  test('our Authentication-Results become the facts of senderAuthenticated', async () => {
    assert.deepEqual(sampleAuthFacts(await indicators(`${ID}; spf=pass smtp.mailfrom=bounce@trust.example; dkim=pass header.d=Other.example; dmarc=fail header.from=trust.example`), ID), {
      fromDomain: 'trust.example', dmarcPass: false, dkimPassDomains: ['other.example'], spfPass: true, mailFromDomain: 'trust.example',
    });
    assert.equal(sampleAuthFacts(await indicators(`elsewhere.example; dmarc=pass header.from=trust.example`), ID), null, 'no field of ours');
  });

  test('the same answers as the gateway gives at delivery: strict alignment with the From domain', async () => {
    const at = async (ar: string, from?: string): Promise<string | null> => authenticatedSampleSender(await indicators(ar, from), ID);
    assert.equal(await at(`${ID}; dkim=pass header.d=trust.example`), 'alice@trust.example');
    assert.equal(await at(`${ID}; dmarc=pass header.from=trust.example`), 'alice@trust.example');
    assert.equal(await at(`${ID}; spf=pass smtp.mailfrom=bounce@trust.example`), 'alice@trust.example');
    assert.equal(await at(`${ID}; spf=pass smtp.mailfrom=bounce@other.example`), null, 'SPF for another domain does not align');
    assert.equal(await at(`${ID}; dmarc=pass header.from=other.example`), null, "another From's DMARC pass");
    assert.equal(await at(`${ID}; dkim=pass header.d=trust.example`, 'alice@mail.trust.example'), null, 'a parent domain is not the sender (strict, as at delivery)');
    assert.equal(await at(`${ID}; dkim=fail header.d=trust.example`), null);
    for (const ar of [`${ID}; dkim=pass header.d=trust.example`, `${ID}; spf=pass smtp.mailfrom=x@other.example`, `${ID}; dmarc=pass`]) {
      const ind = await indicators(ar);
      assert.equal(authenticatedSampleSender(ind, ID) !== null, senderAuthenticated(sampleAuthFacts(ind, ID)!), ar);
    }
  });

  test('internal origin: authenticated, and a platform domain or below one', async () => {
    const own = new Set(['trust.example']);
    assert.equal(internalOrigin(await indicators(`${ID}; dkim=pass header.d=trust.example`), ID, own), 'alice@trust.example');
    assert.equal(internalOrigin(await indicators(`${ID}; dkim=pass header.d=evil.example`, 'x@evil.example'), ID, own), null);
    assert.equal(internalOrigin(await indicators(`${ID}; dkim=pass header.d=hr.trust.example`, 'x@hr.trust.example'), ID, own), 'x@hr.trust.example');
  });
});
