/**
 * Pure rules for sign-in history: naming a browser from its user agent, and grouping
 * sign-in events into the devices that made them. No database, no clock.
 */

export type SigninStep = 'password' | 'totp' | 'webauthn' | 'recovery';
export type SigninOutcome = 'success' | 'failure' | 'locked';

/** One row of sign-in history, as the repository returns it. */
export interface SigninEventRow {
  id: string;
  at: string;
  step: SigninStep;
  outcome: SigninOutcome;
  ip: string;
  userAgent: string;
  deviceId: string | null;
}

/** A device that signed in: by its device cookie, or by its user agent when it had none. */
export interface DeviceUse {
  deviceId: string | null;
  userAgent: string;
  ips: string[];
  firstSeen: string;
  lastSeen: string;
  signIns: number;
}

export const STEP_TEXT: Record<SigninStep, string> = {
  password: 'Password',
  totp: 'Authenticator app',
  webauthn: 'Security key or passkey',
  recovery: 'Recovery code',
};

export const OUTCOME_TEXT: Record<SigninOutcome, string> = {
  success: 'Succeeded',
  failure: 'Failed',
  locked: 'Refused: sign-in paused',
};

/** How much of a device id people see: enough to tell devices apart, too little to reuse. */
export const SHORT_DEVICE_ID_LENGTH = 8;

/** The first characters of a device id, or "None" for a request without the device cookie. */
export function shortDeviceId(deviceId: string | null): string {
  return deviceId ? deviceId.slice(0, SHORT_DEVICE_ID_LENGTH) : 'None';
}

// Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari".
const BROWSERS: readonly [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\b(?:OPR|Opera)\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/\b(?:Chrome|CriOS|HeadlessChrome)\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)[^ ]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
  [/\bcurl\/(\d+)/, 'curl'],
  [/\bnode(?:-fetch)?\b|\bundici\b/, 'A script (Node.js)'],
  [/\bpython-requests\/(\d+)/, 'A script (Python)'],
];

const SYSTEMS: readonly [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

/**
 * A browser and operating system in plain words ("Firefox 128 on Windows") from a
 * user-agent header. Deliberately simple: it helps a person recognise their own devices;
 * it is not evidence (a user agent is whatever the client says).
 */
export function describeUserAgent(userAgent: string): string {
  const ua = userAgent.trim();
  if (!ua) return 'Unknown browser';
  let browser = 'Unknown browser';
  for (const [re, name] of BROWSERS) {
    const m = re.exec(ua);
    if (m) {
      browser = m[1] ? `${name} ${m[1]}` : name;
      break;
    }
  }
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  return system ? `${browser} on ${system}` : browser;
}

/**
 * Groups successful sign-in events into devices: events with a device id by that id,
 * events without one by their exact user agent. Failures are ignored (a device that only
 * failed did not use the account). `signIns` counts successful password steps, one per
 * sign-in; a device that knew the password but never passed the second factor is still
 * listed, because for a compromised account it matters most. Newest device first; IPs in
 * order of first use.
 */
export function groupDevices(events: readonly Pick<SigninEventRow, 'at' | 'step' | 'outcome' | 'ip' | 'userAgent' | 'deviceId'>[]): DeviceUse[] {
  const byKey = new Map<string, DeviceUse>();
  const ordered = [...events].filter((e) => e.outcome === 'success').sort((a, b) => a.at.localeCompare(b.at));
  for (const e of ordered) {
    const key = e.deviceId ? `d:${e.deviceId}` : `u:${e.userAgent}`;
    const d = byKey.get(key);
    if (!d) {
      byKey.set(key, { deviceId: e.deviceId, userAgent: e.userAgent, ips: e.ip ? [e.ip] : [], firstSeen: e.at, lastSeen: e.at, signIns: e.step === 'password' ? 1 : 0 });
      continue;
    }
    // A device's latest user agent is the one people recognise (browsers update).
    d.userAgent = e.userAgent;
    if (e.ip && !d.ips.includes(e.ip)) d.ips.push(e.ip);
    d.lastSeen = e.at;
    if (e.step === 'password') d.signIns += 1;
  }
  return [...byKey.values()].sort((a, b) => b.lastSeen.localeCompare(a.lastSeen));
}

/** "2026-11-30 14:05 UTC" from an ISO timestamp: one unambiguous form for every page. */
export function formatTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]} UTC` : iso;
}
