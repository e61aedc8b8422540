import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';

/** A copy on a plain ArrayBuffer, as the library's types ask. */
const bytes = (b: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(b);

/**
 * A software authenticator for tests that run without a browser: an ES256 key pair that
 * answers registration and authentication options the way a security key does
 * (attestation "none"), so refusals can be tested with real, correctly signed responses.
 * Tests only; the browser test uses Chromium's virtual authenticator instead.
 */
export class SoftAuthenticator {
  readonly credentialId = isoBase64URL.fromBuffer(bytes(randomBytes(32)));
  private readonly privateKey: KeyObject;
  private readonly cosePublicKey: Uint8Array;
  /** The last signature counter used (registration reports it; each authentication adds one first). Set it back to act as a cloned key. */
  counter = 0;

  constructor(readonly origin: string, readonly rpId: string) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.cosePublicKey = isoCBOR.encode(new Map<number, number | Uint8Array>([
      [1, 2], [3, -7], [-1, 1], [-2, isoBase64URL.toBuffer(jwk.x!)], [-3, isoBase64URL.toBuffer(jwk.y!)],
    ]));
  }

  /** The public key as the factor row stores it (base64url COSE). */
  get publicKeyB64(): string {
    return isoBase64URL.fromBuffer(bytes(this.cosePublicKey));
  }

  private authData(flags: number, attested?: Uint8Array): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([createHash('sha256').update(this.rpId).digest(), Buffer.from([flags]), counter, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  /** A registration response (RegistrationResponseJSON) to `challenge`. */
  register(challenge: string): Record<string, unknown> & { id: string } {
    const credId = isoBase64URL.toBuffer(this.credentialId);
    const len = Buffer.alloc(2);
    len.writeUInt16BE(credId.length);
    const attested = Buffer.concat([Buffer.alloc(16), len, credId, this.cosePublicKey]);
    const attestationObject = isoCBOR.encode(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', this.authData(0x45, attested)]]) as never);
    return {
      id: this.credentialId, rawId: this.credentialId, type: 'public-key', clientExtensionResults: {},
      response: { clientDataJSON: isoBase64URL.fromBuffer(bytes(this.clientData('webauthn.create', challenge))), attestationObject: isoBase64URL.fromBuffer(bytes(attestationObject)), transports: ['usb'] },
    };
  }

  /** An authentication response (AuthenticationResponseJSON) to `challenge`, with the counter advanced by one. */
  authenticate(challenge: string): Record<string, unknown> & { id: string } {
    this.counter += 1;
    const authData = this.authData(0x05);
    const clientData = this.clientData('webauthn.get', challenge);
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), this.privateKey);
    return {
      id: this.credentialId, rawId: this.credentialId, type: 'public-key', clientExtensionResults: {},
      response: { clientDataJSON: isoBase64URL.fromBuffer(bytes(clientData)), authenticatorData: isoBase64URL.fromBuffer(bytes(authData)), signature: isoBase64URL.fromBuffer(bytes(signature)) },
    };
  }
}
