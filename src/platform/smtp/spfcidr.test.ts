import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spf } from 'mailauth';
import { installSpfCidrFastPath, mailauthIpaddr } from './spfcidr.js';

test('IPv4 ranges skip the IPv6 parser; results and errors are as before', () => {
  const ipaddr = mailauthIpaddr() as unknown as {
    parseCIDR(s: string): [{ toString(): string }, number];
    IPv6: { parseCIDR(s: string): unknown };
  };
  const before = {
    v4: String(ipaddr.parseCIDR('192.0.2.0/24')),
    v6: String(ipaddr.parseCIDR('2001:db8::/32')),
    mapped: String(ipaddr.parseCIDR('::ffff:192.0.2.1/128')),
  };
  installSpfCidrFastPath();
  installSpfCidrFastPath();
  const v6parse = ipaddr.IPv6.parseCIDR;
  let v6calls = 0;
  ipaddr.IPv6.parseCIDR = (s: string) => {
    v6calls++;
    return v6parse.call(ipaddr.IPv6, s);
  };
  try {
    assert.equal(String(ipaddr.parseCIDR('192.0.2.0/24')), before.v4);
    assert.equal(v6calls, 0, 'an IPv4 range never reaches the IPv6 parser (the throw this avoids)');
    assert.equal(String(ipaddr.parseCIDR('2001:db8::/32')), before.v6);
    assert.equal(String(ipaddr.parseCIDR('::ffff:192.0.2.1/128')), before.mapped);
    assert.throws(() => ipaddr.parseCIDR('192.0.2.0/99'), /neither IPv6 nor IPv4 CIDR format/);
    assert.throws(() => ipaddr.parseCIDR('not-an-address'), /neither IPv6 nor IPv4 CIDR format/);
  } finally {
    ipaddr.IPv6.parseCIDR = v6parse;
  }
});

test("mailauth's SPF verdicts are unchanged with the fast path", async () => {
  installSpfCidrFastPath();
  const records: Record<string, string[][]> = {
    'sender.example': [['v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 ip4:192.0.2.7 -all']],
  };
  const resolver = async (name: string, type: string) => {
    const r = type === 'TXT' ? records[name.toLowerCase()] : undefined;
    if (!r) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return r;
  };
  const verdict = async (ip: string) => ((await spf({ sender: 'a@sender.example', ip, helo: 'mx.sender.example', mta: 'mx.platform.example', resolver } as never)) as { status: { result: string } }).status.result;
  assert.equal(await verdict('198.51.100.20'), 'pass');
  assert.equal(await verdict('192.0.2.7'), 'pass');
  assert.equal(await verdict('2001:db8::25'), 'pass');
  assert.equal(await verdict('203.0.113.9'), 'fail');
  assert.equal(await verdict('2001:db9::1'), 'fail');
});
