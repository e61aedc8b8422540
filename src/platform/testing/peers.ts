import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Optional peers of the tests: independent implementations and shared data that some
 * tests check against. Every one is installed by `.ci/run`; locally a missing peer is a
 * skip that says so, and `scripts/run-tests.mjs` lists it in the run's banner (it runs
 * this file to know). Under CI (CI=true) a missing peer is a failure, never a skip.
 *
 * Use `requirePeer(name)` as a test's or suite's `skip` option, or `peerMissing(name)` to
 * choose; never test for a tool by hand.
 */

export type PeerName = 'corpora' | 'swaks' | 'openssl' | 'oathtool' | 'python3-dkim';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The shared test corpora (MIME, reports, auth), a sibling of the package. */
export const CORPORA_DIR = path.resolve(packageRoot, '..', 'shared', 'corpora');

const onPath = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** How to tell each peer is there, and how to get it. */
const PEERS: Record<PeerName, { present: () => boolean; install: string }> = {
  corpora: { present: () => existsSync(CORPORA_DIR) && statSync(CORPORA_DIR).isDirectory(), install: `check out the shared corpora at ${CORPORA_DIR}` },
  swaks: { present: () => onPath('swaks'), install: 'apt-get install swaks' },
  openssl: { present: () => onPath('openssl'), install: 'apt-get install openssl' },
  oathtool: { present: () => onPath('oathtool'), install: 'apt-get install oathtool' },
  'python3-dkim': {
    present: () => existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import dkim'], { stdio: 'ignore' }).status === 0,
    install: 'apt-get install python3-dkim',
  },
};

export const PEER_NAMES = Object.keys(PEERS) as PeerName[];

export const underCi = process.env.CI === 'true' || process.env.CI === '1';

const known = new Map<PeerName, string | undefined>();

/** Why the peer cannot be used (missing, and how to install it), or undefined when it is there. */
export function peerMissing(name: PeerName): string | undefined {
  if (!known.has(name)) known.set(name, PEERS[name].present() ? undefined : `${name} missing (${PEERS[name].install})`);
  return known.get(name);
}

/**
 * A `skip` option for a test or suite that needs the peer: false when it is there; the
 * reason when it is missing. @throws under CI=true when it is missing (a failure, not a skip)
 */
export function requirePeer(name: PeerName, what = 'this test'): string | false {
  const missing = peerMissing(name);
  if (!missing) return false;
  if (underCi) throw new Error(`CI=true: ${missing}, so ${what} cannot run; .ci/run installs it`);
  return `!!! SKIPPED: ${missing}; ${what} NOT run !!!`;
}

// `node --import tsx src/platform/testing/peers.ts`: the missing peers as JSON (for the banner).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(Object.fromEntries(PEER_NAMES.flatMap((n) => { const m = peerMissing(n); return m ? [[n, m]] : []; }))));
}
