import { parsePhoneNumberFromString, type NumberType } from 'libphonenumber-js/max';

/**
 * The one rule for mobile numbers, used everywhere a number enters (profile page, LA edit
 * and remediation, CSV import, API) and by the sweep: calling code 44 and type MOBILE by
 * `libphonenumber-js/max`; Great Britain always, Guernsey, Jersey and the Isle of Man (which
 * share +44) when the platform allows them. Numbers are stored in E.164. Refusals say what
 * is wrong in plain words. Pure: no I/O.
 */

export type UkRegion = 'GB' | 'GG' | 'JE' | 'IM';
export const CROWN_DEPENDENCIES: readonly UkRegion[] = ['GG', 'JE', 'IM'];

export type MobileProblem = 'not-a-number' | 'invalid' | 'not-uk' | 'not-mobile' | 'crown-dependency';

export interface MobileRule {
  /** Guernsey, Jersey and Isle of Man mobiles are accepted (setting allowCrownDependencyMobiles). */
  allowCrownDependencies: boolean;
}

/** The platform default (setting allowCrownDependencyMobiles = true). */
export const DEFAULT_MOBILE_RULE: MobileRule = { allowCrownDependencies: true };

export type MobileCheck = { ok: true; e164: string; region: UkRegion } | { ok: false; problem: MobileProblem; message: string };

/** What a number is, whatever the settings: a UK (+44) mobile and where, or a problem. */
export type Inspection = { ok: true; e164: string; region: UkRegion } | { ok: false; problem: Exclude<MobileProblem, 'crown-dependency'>; message: string };

export const STATUS_REASON_NON_UK_MOBILE = 'non-uk-mobile';

const ONLY_UK = 'Only UK mobile numbers can be registered.';
const EXAMPLE = 'for example 07400 123456';

const REGION_WORDS: Record<UkRegion, string> = { GB: 'UK', GG: 'Guernsey', JE: 'Jersey', IM: 'Isle of Man' };

/** Adjectives for the countries people most often register by mistake; others are named. */
const ADJECTIVES: Record<string, string> = {
  FR: 'French', IE: 'Irish', US: 'US', CA: 'Canadian', DE: 'German', ES: 'Spanish', IT: 'Italian', PT: 'Portuguese', NL: 'Dutch',
  BE: 'Belgian', PL: 'Polish', RO: 'Romanian', BG: 'Bulgarian', GR: 'Greek', IN: 'Indian', PK: 'Pakistani', BD: 'Bangladeshi',
  NG: 'Nigerian', ZA: 'South African', AU: 'Australian', NZ: 'New Zealand', PH: 'Philippine', CH: 'Swiss', AT: 'Austrian',
  SE: 'Swedish', NO: 'Norwegian', DK: 'Danish', FI: 'Finnish', LT: 'Lithuanian', LV: 'Latvian', HU: 'Hungarian', CZ: 'Czech',
  CN: 'Chinese', HK: 'Hong Kong', AE: 'UAE', TR: 'Turkish', GH: 'Ghanaian', KE: 'Kenyan', ZW: 'Zimbabwean',
};

const TYPE_WORDS: Partial<Record<NumberType & string, string>> = {
  FIXED_LINE: 'a UK landline number',
  FIXED_LINE_OR_MOBILE: 'a UK landline number',
  PERSONAL_NUMBER: 'a UK personal number (070), not a mobile',
  PAGER: 'a UK pager number',
  VOIP: 'a UK internet-phone (VoIP) number',
  TOLL_FREE: 'a UK freephone number',
  PREMIUM_RATE: 'a UK premium-rate number',
  SHARED_COST: 'a UK shared-cost number',
  UAN: 'a UK non-geographic (03) number',
  VOICEMAIL: 'a UK voicemail access number',
};

let regionNames: Intl.DisplayNames | undefined;

function countryPhrase(country: string | undefined, callingCode: string): string {
  if (!country) return `This is not a UK number (it starts +${callingCode}).`;
  const adjective = ADJECTIVES[country];
  if (adjective) return `This is ${/^[AEIOU]/.test(adjective) && adjective !== 'US' && adjective !== 'UAE' ? 'an' : 'a'} ${adjective} number.`;
  regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' });
  return `This is a number from ${regionNames.of(country) ?? country}.`;
}

/**
 * What a number is, independent of the settings. National-format input ("07400 123456")
 * is read as a UK number. @returns a UK mobile with its E.164 form and region, or a problem
 */
export function inspectMobile(input: string): Inspection {
  const value = input.trim();
  if (!value) return { ok: false, problem: 'not-a-number', message: `Enter a UK mobile number, ${EXAMPLE}.` };
  const digits = value.replace(/\D/g, '').length;
  if (value.length > 40 || !/^[0-9+()\-. ]+$/.test(value) || digits < 6) {
    return { ok: false, problem: 'not-a-number', message: `This is not a phone number. Enter a UK mobile number, ${EXAMPLE}.` };
  }
  const parsed = parsePhoneNumberFromString(value, 'GB');
  if (!parsed) return { ok: false, problem: 'invalid', message: `This is not a valid phone number. Enter a UK mobile number, ${EXAMPLE}.` };
  if (parsed.countryCallingCode !== '44') {
    return { ok: false, problem: 'not-uk', message: `${countryPhrase(parsed.country, parsed.countryCallingCode)} ${ONLY_UK}` };
  }
  if (!parsed.isValid()) {
    return { ok: false, problem: 'invalid', message: `This is not a valid UK number: check the digits. Enter a UK mobile number, ${EXAMPLE}.` };
  }
  const type = parsed.getType();
  if (type !== 'MOBILE') {
    return { ok: false, problem: 'not-mobile', message: `This is ${(type && TYPE_WORDS[type]) ?? 'a UK number but not a mobile'}. ${ONLY_UK}` };
  }
  const region = (parsed.country ?? 'GB') as UkRegion;
  return { ok: true, e164: parsed.number, region };
}

/** Applies the platform setting for Guernsey, Jersey and the Isle of Man to an inspection. */
export function applyRule(i: Inspection, rule: MobileRule): MobileCheck {
  if (!i.ok) return i;
  if (i.region !== 'GB' && !rule.allowCrownDependencies) {
    return {
      ok: false, problem: 'crown-dependency',
      message: `This is ${i.region === 'IM' ? 'an' : 'a'} ${REGION_WORDS[i.region]} mobile number. Only mobile numbers from England, Scotland, Wales and Northern Ireland can be registered.`,
    };
  }
  return i;
}

/** The rule: may this number be registered? @returns its E.164 form, or the problem in plain words */
export function checkMobile(input: string, rule: MobileRule): MobileCheck {
  return applyRule(inspectMobile(input), rule);
}

/** Whether a stored number passes the rule now (recovery asks before using it as a second factor). */
export function isRegistrableMobile(number: string | null, rule: MobileRule): boolean {
  return number !== null && checkMobile(number, rule).ok;
}

/**
 * For forms and imports where the number is optional: empty means "no number" (null);
 * anything else must pass the rule.
 */
export function normaliseOptionalMobile(input: string | null | undefined, rule: MobileRule): { ok: true; value: string | null } | { ok: false; message: string } {
  if (input === null || input === undefined || input.trim() === '') return { ok: true, value: null };
  const r = checkMobile(input, rule);
  return r.ok ? { ok: true, value: r.e164 } : { ok: false, message: r.message };
}

/** A number for the audit trail: its last three digits only ("…456"), or null. */
export function maskMobile(mobile: string | null): string | null {
  return mobile ? `…${mobile.slice(-3)}` : null;
}

/**
 * How many leading national digits decide whether a 10-digit +44 7… number is a mobile and
 * where: today's metadata never looks past the sixth (phones.test.ts checks this against
 * the installed metadata, so an upgrade that looks deeper fails the test).
 */
export const DECIDING_DIGITS = 6;
const E164_UK_7 = /^\+447\d{9}$/;

/**
 * The sweep's classifier of numbers as stored. Most stored numbers are E.164 UK mobiles;
 * a cheap shape test sends those to a cache keyed by their deciding prefix, so the full
 * libphonenumber parse runs once per prefix instead of once per account. Everything else
 * (foreign, national format, garbage) gets the full rule.
 */
export class StoredMobileClassifier {
  private readonly byPrefix = new Map<string, Inspection>();
  /** Full parses performed (for the benchmark). */
  parses = 0;

  constructor(private readonly rule: MobileRule) {}

  check(stored: string): MobileCheck {
    if (E164_UK_7.test(stored)) {
      const key = stored.slice(0, 3 + DECIDING_DIGITS);
      let i = this.byPrefix.get(key);
      if (!i) {
        this.parses++;
        i = inspectMobile(stored);
        this.byPrefix.set(key, i.ok ? { ok: true, e164: '', region: i.region } : i);
      }
      return applyRule(i.ok ? { ok: true, e164: stored, region: i.region } : i, this.rule);
    }
    this.parses++;
    return checkMobile(stored, this.rule);
  }
}
