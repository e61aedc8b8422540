import type { Worker } from 'node:cluster';
import type { AddressCounter, ConnectionAdmission } from '../platform/smtp/admission.js';

/**
 * Per-client-address connection limits across gateway workers, as Postfix's anvil: node:cluster
 * hands each new connection to the next worker in turn, so no worker alone sees how many
 * connections an address holds. The primary keeps the one counter; a worker asks it before
 * it greets a client and tells it when the connection closes. A worker that dies gives back
 * every slot it held. The ask costs one IPC round trip per connection.
 */

export const ANVIL = { acquire: 'postwarden:anvil-acquire', answer: 'postwarden:anvil-answer', release: 'postwarden:anvil-release' } as const;

interface AnvilMessage {
  type?: string;
  id?: number;
  address?: string;
  ok?: boolean;
}

/** The primary's half: answers `worker`'s asks from `counter`, and gives back what it held when it exits. */
export function serveAdmission(counter: AddressCounter, worker: Worker): void {
  const held = new Map<string, number>();
  worker.on('message', (m: AnvilMessage) => {
    if (typeof m?.address !== 'string') return;
    if (m.type === ANVIL.acquire) {
      const ok = counter.take(m.address);
      if (ok) held.set(m.address, (held.get(m.address) ?? 0) + 1);
      if (worker.isConnected()) worker.send({ type: ANVIL.answer, id: m.id, ok, address: m.address });
    } else if (m.type === ANVIL.release) {
      const n = held.get(m.address) ?? 0;
      if (n === 0) return;
      if (n === 1) held.delete(m.address);
      else held.set(m.address, n - 1);
      counter.give(m.address);
    }
  });
  worker.on('exit', () => {
    for (const [address, n] of held) for (let i = 0; i < n; i++) counter.give(address);
    held.clear();
  });
}

/**
 * The worker's half: admission decided by the primary.
 * The ask rejects when the primary has not answered within `timeoutMs` (the listener then answers 421 4.3.0).
 */
export function askPrimary(proc: NodeJS.Process = process, timeoutMs = 5000): ConnectionAdmission {
  let next = 0;
  const waiting = new Map<number, (ok: boolean) => void>();
  const send = (m: AnvilMessage): void => {
    if (proc.connected && proc.send) proc.send(m);
  };
  proc.on('message', (m: AnvilMessage) => {
    if (m?.type !== ANVIL.answer || typeof m.id !== 'number') return;
    const answer = waiting.get(m.id);
    if (answer) {
      waiting.delete(m.id);
      answer(m.ok === true);
    } else if (m.ok && typeof m.address === 'string') {
      send({ type: ANVIL.release, address: m.address });
    }
  });
  return {
    acquire(address) {
      return new Promise<boolean>((resolve, reject) => {
        if (!proc.connected || !proc.send) return reject(new Error('no primary process to count connections'));
        const id = ++next;
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error('the primary process did not answer the connection count in time'));
        }, timeoutMs);
        timer.unref();
        waiting.set(id, (ok) => {
          clearTimeout(timer);
          resolve(ok);
        });
        proc.send({ type: ANVIL.acquire, id, address });
      });
    },
    release(address) {
      send({ type: ANVIL.release, address });
    },
  };
}
