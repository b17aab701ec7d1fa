// DSSE v1 (https://github.com/secure-systems-lab/dsse/blob/master/protocol.md): the signature
// covers PAE(payloadType, payload), never the JSON envelope, so re-encoding the envelope can't
// change what was signed. Ed25519 through node:crypto.
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

export interface DsseSigner {
  keyid: string;
  privateKey: KeyObject;
}

/** Pre-Authentication Encoding: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes as ASCII decimal. */
export function pae(payloadType: string, payload: Buffer | string): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'ascii'),
    type,
    Buffer.from(` ${body.length} `, 'ascii'),
    body,
  ]);
}

export function signEnvelope(payload: Buffer, payloadType: string, signer: DsseSigner): DsseEnvelope {
  const sig = cryptoSign(null, pae(payloadType, payload), signer.privateKey);
  return {
    payload: payload.toString('base64'),
    payloadType,
    signatures: [{ keyid: signer.keyid, sig: sig.toString('base64') }],
  };
}

/** The envelope file's bytes: pretty JSON plus a trailing newline. */
export function serializeEnvelope(envelope: DsseEnvelope): Buffer {
  return Buffer.from(`${JSON.stringify(envelope, null, 2)}\n`, 'utf8');
}

/** Parses an envelope; returns undefined when the bytes are not a well-formed DSSE envelope. */
export function parseEnvelope(bytes: Buffer | string): DsseEnvelope | undefined {
  let v: unknown;
  try {
    v = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.payload !== 'string' || typeof o.payloadType !== 'string' || !Array.isArray(o.signatures)) return undefined;
  const signatures: DsseSignature[] = [];
  for (const s of o.signatures as unknown[]) {
    if (typeof s !== 'object' || s === null) return undefined;
    const so = s as Record<string, unknown>;
    if (typeof so.sig !== 'string') return undefined;
    signatures.push({ keyid: typeof so.keyid === 'string' ? so.keyid : '', sig: so.sig });
  }
  return { payload: o.payload, payloadType: o.payloadType, signatures };
}

/** Decodes standard or URL-safe base64 (DSSE allows both); undefined for anything else. */
export function decodeBase64(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) return undefined;
  const buf = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  // Reject non-canonical trailing bits: re-encoding must give back the same characters.
  const again = buf.toString('base64').replace(/=+$/, '');
  if (again !== s.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '')) return undefined;
  return buf;
}

export type EnvelopeCheck =
  | { ok: true; payload: Buffer; keyid: string }
  | { ok: false; problem: string };

/**
 * Verifies that `publicKey` (identified by `keyid`) signed the envelope for `expectedType`.
 * Signatures naming another keyid are ignored; an empty keyid is tried (the spec makes it optional).
 */
export function verifyEnvelope(envelope: DsseEnvelope, expectedType: string, publicKey: KeyObject, keyid: string): EnvelopeCheck {
  if (envelope.payloadType !== expectedType) {
    return { ok: false, problem: `payloadType is "${envelope.payloadType}", expected "${expectedType}"` };
  }
  const payload = decodeBase64(envelope.payload);
  if (payload === undefined) return { ok: false, problem: 'payload is not valid base64' };
  const candidates = envelope.signatures.filter((s) => s.keyid === keyid || s.keyid === '');
  if (candidates.length === 0) return { ok: false, problem: `no signature by key ${keyid}` };
  const message = pae(envelope.payloadType, payload);
  for (const s of candidates) {
    const sig = decodeBase64(s.sig);
    if (sig === undefined) continue;
    let good = false;
    try {
      good = cryptoVerify(null, message, publicKey, sig);
    } catch {
      good = false;
    }
    if (good) return { ok: true, payload, keyid };
  }
  return { ok: false, problem: `signature does not verify with key ${keyid}` };
}
