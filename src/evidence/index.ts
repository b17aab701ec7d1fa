// Public surface of the evidence store.
export * from './predicate-schema.js';
export { buildStatement, validateStatement, serializeStatement, parseStatement, STATEMENT_PAYLOAD_TYPE } from './statement.js';
export { pae, signEnvelope, verifyEnvelope, parseEnvelope, serializeEnvelope, type DsseEnvelope, type DsseSignature } from './dsse.js';
export { loadOrCreateSigningKey, keyIdOf, shipproofHome, PUBLIC_KEY_FILE, type SigningKey, type PublicSigningKey } from './signing-key.js';
export { renderEvidenceMarkdown } from './render-markdown.js';
export { LEDGER_FILE, type LedgerEntry, type LedgerFile } from './ledger.js';
export { HEAD_FILE, HEAD_PAYLOAD_TYPE } from './ledger-head.js';
export {
  verifyEvidence,
  verifyExitCode,
  VERIFY_EXIT_OK,
  VERIFY_EXIT_CHAIN,
  VERIFY_EXIT_SIGNATURE,
  type VerifyReport,
  type VerifyOptions,
} from './verify.js';
export { EvidenceStore, type EvidenceStoreOptions, type AppendMeta, type AppendedEntry, type ShownRecord } from './store.js';
