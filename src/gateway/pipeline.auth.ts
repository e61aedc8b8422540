import { authenticate, sealMessage } from 'mailauth';
import type { DnsResolver } from '../platform/smtp/dns.js';
import { parseHead } from '../platform/mail/mime/index.js';
import type { DkimPass } from './gateway.js';

/**
 * The authentication stage: mailauth's SPF, DKIM, DMARC and ARC verdicts on the message
 * exactly as received (before anything changes it), reduced to the facts the gateway's
 * rules need, plus the header fields to add.
 */

export interface AuthVerdict {
  /** Received-SPF and Authentication-Results fields (CRLF), for our authserv-id. */
  fields: string;
  /** The Authentication-Results value (after "Authentication-Results: "), for an ARC seal. */
  authResults: string;
  dkimPasses: DkimPass[];
  dmarcPass: boolean;
  spfPass: boolean;
  /** ARC chain validation: 'none', 'pass' or 'fail' (the cv of a seal we add). */
  arc: 'none' | 'pass' | 'fail';
}

interface MailauthResult {
  headers: string;
  dkim?: { results?: { signingDomain?: string; selector?: string; signature?: string; status?: { result?: string } }[] };
  spf?: { status?: { result?: string } } | false;
  dmarc?: { status?: { result?: string } } | false;
  arc?: { status?: { result?: string }; authResults?: string } | false;
}

export interface AuthInput {
  raw: Buffer;
  mailFrom: string;
  remoteAddress: string;
  helo: string;
  authservId: string;
  resolver: DnsResolver;
}

/** Runs the checks. Never throws for a bad message (mailauth reports fail/none); DNS trouble gives temperror verdicts. */
export async function verifyMessage(i: AuthInput): Promise<AuthVerdict> {
  const r = (await authenticate(i.raw, {
    sender: i.mailFrom || undefined,
    ip: i.remoteAddress,
    helo: i.helo || undefined,
    mta: i.authservId,
    resolver: i.resolver as never,
    disableBimi: true,
  })) as unknown as MailauthResult;
  const signed = signedFieldsBySignature(i.raw);
  const dkimPasses = (r.dkim?.results ?? [])
    .filter((x) => x.status?.result === 'pass' && x.signingDomain && x.selector)
    .map((x) => ({ domain: x.signingDomain!.toLowerCase(), selector: x.selector!.toLowerCase(), signedFields: signed.get((x.signature ?? '').replace(/\s+/g, '')) ?? [] }));
  const arcResult = r.arc ? r.arc.status?.result ?? 'none' : 'none';
  const fields = r.headers.endsWith('\r\n') ? r.headers : `${r.headers}\r\n`;
  const ar = /^Authentication-Results: ([\s\S]*?)\r\n(?![ \t])/m.exec(fields);
  return {
    fields,
    authResults: (r.arc && r.arc.authResults) || (ar ? ar[1]! : `${i.authservId}; none`),
    dkimPasses,
    dmarcPass: !!r.dmarc && r.dmarc.status?.result === 'pass',
    spfPass: !!r.spf && r.spf.status?.result === 'pass',
    arc: arcResult === 'pass' ? 'pass' : arcResult === 'none' ? 'none' : 'fail',
  };
}

/** Each DKIM-Signature's `h=` list (lower case), keyed by its `b=` value without white space. */
function signedFieldsBySignature(raw: Buffer): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of parseHead(raw).fields) {
    if (f.name !== 'dkim-signature') continue;
    const tags = new Map(f.value.split(';').map((t) => {
      const eq = t.indexOf('=');
      return [t.slice(0, eq).trim().toLowerCase(), t.slice(eq + 1).replace(/\s+/g, '')] as const;
    }));
    const b = tags.get('b');
    if (b) out.set(b, (tags.get('h') ?? '').split(':').map((n) => n.toLowerCase()).filter(Boolean));
  }
  return out;
}

export interface SealKey {
  domain: string;
  selector: string;
  /** PEM: mailauth's ARC-Message-Signature signer accepts nothing else (it parses the key per seal). */
  privateKey: string;
}

/** ARC set (seal, message signature, authentication results) for the changed message, to put in front of it. */
export async function arcSealFields(raw: Buffer, key: SealKey, verdict: AuthVerdict): Promise<Buffer> {
  return sealMessage(raw, {
    signingDomain: key.domain,
    selector: key.selector,
    privateKey: key.privateKey,
    authResults: verdict.authResults,
    cv: verdict.arc,
  } as Parameters<typeof sealMessage>[1]);
}
