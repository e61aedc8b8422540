/**
 * Synthetic directory CSVs for the import benchmark, streamed to disk so that generating
 * 1.5 million accounts never holds them in memory. Deterministic: the same arguments give
 * the same bytes, so runs are comparable.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

const FIRST = ['Alex', 'Sam', 'Priya', 'Mohammed', 'Olivia', 'Chen', 'Aisha', 'James', 'Fatima', 'Tom', 'Grace', 'Oluwaseun'];
const LAST = ['Smith', 'Jones', 'Patel', 'Khan', 'Williams', "O'Brien", 'Nowak', 'Brown', 'Taylor', 'Davies', 'Evans', 'Ahmed'];
const AREAS = ['Clinical', 'Finance', 'HR', 'Estates', 'IT', 'Pharmacy', 'Radiology', ''];

export function orgCode(i: number): string {
  return `B${i.toString().padStart(6, '0')}`;
}

export function orgDomain(i: number): string {
  return `org${i.toString().padStart(6, '0')}.nhs.example`;
}

/** Writes lines produced by `line(i)` for i in [0, count), honouring back-pressure. */
async function writeLines(file: string, header: string, count: number, line: (i: number) => string): Promise<number> {
  const out = createWriteStream(file);
  out.write(`${header}\n`);
  const CHUNK = 1000; // one write per thousand lines: per-line writes would dominate
  for (let start = 0; start < count; start += CHUNK) {
    let text = '';
    for (let i = start; i < Math.min(start + CHUNK, count); i++) text += `${line(i)}\n`;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return out.bytesWritten;
}

/** An organisations CSV of `count` organisations, one or two domains each. @returns bytes written */
export function generateOrganisationsCsv(file: string, count: number): Promise<number> {
  return writeLines(file, 'code,name,domains,high_risk_areas,la_contact', count, (i) => {
    const domains = i % 10 === 0 ? `${orgDomain(i)};mail.${orgDomain(i)}` : orgDomain(i);
    const areas = i % 4 === 0 ? 'Finance;HR;Payroll' : '';
    return `${orgCode(i)},"Benchmark Trust ${i}, Region ${i % 7}",${domains},${areas},"la@${orgDomain(i)} / 0113 496 ${(i % 10000).toString().padStart(4, '0')}"`;
  });
}

/**
 * An accounts CSV of `rows` accounts spread over `orgCount` organisations: the first
 * account of each organisation is its Local Administrator, one in 5,000 is helpdesk, a
 * third have a mobile. @returns bytes written
 */
export function generateAccountsCsv(file: string, rows: number, orgCount: number): Promise<number> {
  return writeLines(file, 'organisation_code,email,display_name,business_area,mobile,roles', rows, (i) => {
    const org = i % orgCount;
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    const email = `${first}.${last.replace("'", '')}.${i}@${orgDomain(org)}`.toLowerCase();
    // Real UK mobile ranges (07700 900xxx is a drama range that the mobile rule refuses).
    const mobile = i % 3 === 0 ? `07400 ${100000 + (i % 900000)}` : '';
    const roles = i < orgCount ? 'user;local-admin' : i % 5000 === 1 ? 'helpdesk' : '';
    return `${orgCode(org)},${email},${first} ${last},${AREAS[i % AREAS.length]},${mobile},${roles}`;
  });
}
