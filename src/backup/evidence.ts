// What backup and restore records leave out on purpose. Their statements are built by the one
// builder (src/evidence/statement.ts) and written by the one recorder (src/evidence/record.ts).
export const NOT_COLLECTED = [
  'database rows, keys, values and file contents (only counts and checksums)',
  'credentials (read inside the containers by the engines themselves, never by shipproof)',
  'the age identity (private key)',
  'raw command output (only its sha256 and byte count)',
];
