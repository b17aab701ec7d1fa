// The error a rehearsal step throws. Its own module so scratch.ts and the engine types can both
// use it without importing each other.

/** A rehearsal step that failed; `step` names it for the evidence. */
export class RehearsalStepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}
