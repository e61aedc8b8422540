import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { checkMobile, DECIDING_DIGITS, inspectMobile, isRegistrableMobile, normaliseOptionalMobile, StoredMobileClassifier } from './phones.js';

const allowed = { allowCrownDependencies: true };
const gbOnly = { allowCrownDependencies: false };

describe('the UK mobile rule', () => {
  test('a GB mobile is accepted in any common format and stored as E.164', () => {
    for (const n of ['+447400123456', '07400 123456', '07400-123-456', '+44 (0)7400 123456', '0044 7400 123456', '+447912345678']) {
      const r = checkMobile(n, gbOnly);
      assert.equal(r.ok, true, n);
      if (r.ok) assert.equal(r.region, 'GB', n);
    }
    assert.deepEqual(checkMobile(' 07400 123456 ', gbOnly), { ok: true, e164: '+447400123456', region: 'GB' });
  });

  test('Guernsey, Jersey and Isle of Man mobiles follow the setting', () => {
    for (const [n, region, words] of [['+447781123456', 'GG', 'a Guernsey'], ['07797 123456', 'JE', 'a Jersey'], ['+447624123456', 'IM', 'an Isle of Man']] as const) {
      const ok = checkMobile(n, allowed);
      assert.equal(ok.ok && ok.region, region, n);
      const refused = checkMobile(n, gbOnly);
      assert.equal(refused.ok, false);
      if (!refused.ok) {
        assert.equal(refused.problem, 'crown-dependency');
        assert.equal(refused.message, `This is ${words} mobile number. Only mobile numbers from England, Scotland, Wales and Northern Ireland can be registered.`);
      }
    }
  });

  test('UK numbers that are not mobiles are refused in plain words', () => {
    const cases: [string, string][] = [
      ['0161 496 0123', 'This is a UK landline number. Only UK mobile numbers can be registered.'],
      ['+442079460000', 'This is a UK landline number. Only UK mobile numbers can be registered.'],
      ['07011 234567', 'This is a UK personal number (070), not a mobile. Only UK mobile numbers can be registered.'],
      ['0800 123 4567', 'This is a UK freephone number. Only UK mobile numbers can be registered.'],
    ];
    for (const [n, message] of cases) assert.deepEqual(checkMobile(n, allowed), { ok: false, problem: 'not-mobile', message }, n);
  });

  test('foreign numbers are refused naming the country', () => {
    const cases: [string, string][] = [
      ['+33612345678', 'This is a French number.'],
      ['0033 6 12 34 56 78', 'This is a French number.'],
      ['+353851234567', 'This is an Irish number.'],
      ['+1 202 555 0123', 'This is a US number.'],
      ['+7 912 345 6789', 'This is a number from Russia.'],
    ];
    for (const [n, first] of cases) {
      assert.deepEqual(checkMobile(n, allowed), { ok: false, problem: 'not-uk', message: `${first} Only UK mobile numbers can be registered.` }, n);
    }
  });

  test('garbage and invalid numbers are refused with a clear message', () => {
    for (const n of ['call me', '12', '+', '0740O 123456', '=cmd|x', 'x'.repeat(100)]) {
      const r = checkMobile(n, allowed);
      assert.equal(r.ok, false, n);
      if (!r.ok) assert.match(r.message, /^This is not a phone number\. Enter a UK mobile number, for example 07400 123456\.$/, n);
    }
    // Ofcom's drama range is not a real number.
    const drama = checkMobile('07700 900123', allowed);
    assert.equal(!drama.ok && drama.problem, 'invalid');
    assert.equal(!drama.ok && drama.message, 'This is not a valid UK number: check the digits. Enter a UK mobile number, for example 07400 123456.');
  });

  test('an optional number: empty means none, anything else must pass', () => {
    assert.deepEqual(normaliseOptionalMobile('', allowed), { ok: true, value: null });
    assert.deepEqual(normaliseOptionalMobile('  ', allowed), { ok: true, value: null });
    assert.deepEqual(normaliseOptionalMobile('07400123456', allowed), { ok: true, value: '+447400123456' });
    assert.equal(normaliseOptionalMobile('+33612345678', allowed).ok, false);
  });
});

describe('the sweep classifier', () => {
  test('agrees with the full rule on stored values, parsing once per deciding prefix', () => {
    const c = new StoredMobileClassifier(gbOnly);
    const values = ['+447400123456', '+447400123457', '+447400999999', '+447781123456', '+447781999999', '+447700900123', '+447700900999',
      '+447624500000', '+447624512345', '+447011234567', '+33612345678', '07400 123456', 'n/a', '+447624123456'];
    for (const v of values) assert.deepEqual(c.check(v), checkMobile(v, gbOnly), v);
    assert.ok(c.parses < values.length, 'numbers sharing a prefix are parsed once');
  });

  test(`today's metadata decides +44 7… numbers by their first ${DECIDING_DIGITS} national digits`, () => {
    // Every pattern alternative that can start with 7 must end in \d{k} with k >= 10 - DECIDING_DIGITS,
    // and the leading-digit rules that pick GG/JE/IM must be no longer than DECIDING_DIGITS.
    const meta = createRequire(import.meta.url)('libphonenumber-js/metadata.max.json') as { countries: Record<string, unknown[]> };
    const minTail = 10 - DECIDING_DIGITS;
    for (const country of ['GB', 'GG', 'JE', 'IM']) {
      const entry = meta.countries[country]!;
      const types = entry[11] as ([string, ...unknown[]] | 0)[];
      for (const t of types) {
        if (!t) continue;
        for (const alt of topLevelAlternatives(t[0])) {
          if (!firstDigits(alt).includes('7')) continue;
          const tail = /\\d\{(\d+)\}$/.exec(alt);
          assert.ok(tail && Number(tail[1]) >= minTail, `${country}: ${alt} decides beyond ${DECIDING_DIGITS} digits`);
        }
      }
      const leading = entry[10];
      if (typeof leading === 'string') for (const alt of topLevelAlternatives(leading)) assert.ok(alt.replace(/\[[^\]]*\]|\(\?:|\)|\|/g, 'd').length <= DECIDING_DIGITS + 4, alt);
    }
    // And the inspection of a number is the same for the first and last number of a prefix.
    for (const p of ['740012', '778112', '762450', '762451', '770090', '745701']) {
      assert.deepEqual(strip(inspectMobile(`+44${p}0000`)), strip(inspectMobile(`+44${p}9999`)), p);
    }
  });
});

function strip(i: ReturnType<typeof inspectMobile>): unknown {
  return i.ok ? { ok: true, region: i.region } : i;
}

/** Splits a regular expression source at its top-level `|`. */
function topLevelAlternatives(p: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === '\\') { cur += ch + p[++i]; continue; }
    if (ch === '[') { const end = p.indexOf(']', i); cur += p.slice(i, end + 1); i = end; continue; }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === '|' && depth === 0) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out;
}

/** The digits an alternative can start with. */
function firstDigits(alt: string): string {
  if (/^\d/.test(alt)) return alt[0]!;
  if (alt.startsWith('\\d')) return '0123456789';
  if (alt.startsWith('[')) {
    const cls = alt.slice(1, alt.indexOf(']'));
    return '0123456789'.split('').filter((d) => new RegExp(`[${cls}]`).test(d)).join('');
  }
  if (alt.startsWith('(?:')) {
    let depth = 0;
    let end = 0;
    for (let i = 0; i < alt.length; i++) {
      if (alt[i] === '\\') { i++; continue; }
      if (alt[i] === '(') depth++;
      if (alt[i] === ')' && --depth === 0) { end = i; break; }
    }
    return [...new Set(topLevelAlternatives(alt.slice(3, end)).flatMap((a) => firstDigits(a).split('')))].join('');
  }
  return '0123456789';
}

test('a stored number is judged by the same rule, setting included (recovery uses this before trusting it)', () => {
  const on = { allowCrownDependencies: true };
  const off = { allowCrownDependencies: false };
  assert.equal(isRegistrableMobile('+447400123456', off), true, 'Great Britain');
  assert.equal(isRegistrableMobile('+447781123456', on), true, 'Guernsey while allowed');
  assert.equal(isRegistrableMobile('+447781123456', off), false, 'Guernsey once the setting is off');
  assert.equal(isRegistrableMobile('+441632960000', on), false, 'a landline');
  assert.equal(isRegistrableMobile('+33612345678', on), false);
  assert.equal(isRegistrableMobile(null, on), false);
});
