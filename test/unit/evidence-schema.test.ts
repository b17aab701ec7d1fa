import { describe, expect, it } from 'vitest';
import { ShipproofError } from '../../src/errors.js';
import { evidenceJsonSchema, MAX_OBSERVATION_CHARS } from '../../src/evidence/predicate-schema.js';
import { parseStatement, serializeStatement, validateStatement } from '../../src/evidence/statement.js';
import { sampleStatement } from '../fixtures/evidence/helpers.js';

const SECRET = 'hunter2-Zq8vR1sT0pS3cr3t';

function rejectionOf(input: unknown): ShipproofError {
  try {
    validateStatement(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ShipproofError);
    return e as ShipproofError;
  }
  throw new Error('expected the statement to be rejected');
}

describe('evidence statement schema', () => {
  it('accepts the sample and serialises it as pretty JSON with a trailing newline', async () => {
    const s = await sampleStatement();
    const bytes = serializeStatement(s);
    expect(bytes.toString()).toBe(`${JSON.stringify(s, null, 2)}\n`);
    expect(parseStatement(bytes)).toEqual(s);
  });

  it('refuses raw command output next to the hashes, without echoing it', async () => {
    const s = await sampleStatement();
    (s.predicate.results[0]!.commands[0]!.stdout as Record<string, unknown>).text = SECRET;
    const err = rejectionOf(s);
    expect(err.message).toContain('results.0.commands.0.stdout');
    expect(`${err.message} ${err.hint}`).not.toContain(SECRET);
    expect(`${err.message}`).not.toContain('text');
  });

  it('refuses log-sized observations and names that look like values, without echoing them', async () => {
    const s = await sampleStatement();
    s.predicate.results[0]!.observations.log = `${SECRET}\n`.repeat(Math.ceil(MAX_OBSERVATION_CHARS / 10));
    expect(`${rejectionOf(s).message}`).not.toContain(SECRET);

    const t = await sampleStatement();
    t.predicate.results[0]!.observations[`DB_PASSWORD=${SECRET}`] = true;
    const err = rejectionOf(t);
    expect(err.message).toContain('observations.<name>');
    expect(err.message).not.toContain(SECRET);
  });

  it('keeps the status honest', async () => {
    const claim = await sampleStatement();
    claim.predicate.status = 'passed'; // but a gate failed
    expect(rejectionOf(claim).message).toMatch(/status "passed" but gate result 1 \(http-health\) is "fail"/);

    const onlySkips = await sampleStatement();
    onlySkips.predicate.results = onlySkips.predicate.results.filter((r) => r.id === 'tls');
    onlySkips.predicate.summary = { passed: 0, failed: 0, error: 0, skipped: 1 };
    onlySkips.predicate.status = 'passed';
    expect(rejectionOf(onlySkips).message).toMatch(/needs at least one result that passed/);

    const skippedGateIsNotAFailure = await sampleStatement();
    skippedGateIsNotAFailure.predicate.results.splice(1, 1);
    skippedGateIsNotAFailure.predicate.summary = { passed: 2, failed: 0, error: 0, skipped: 1 };
    skippedGateIsNotAFailure.predicate.status = 'passed';
    expect(() => validateStatement(skippedGateIsNotAFailure)).not.toThrow();

    const wrongCounts = await sampleStatement();
    wrongCounts.predicate.summary.failed = 0;
    expect(rejectionOf(wrongCounts).message).toMatch(/summary.failed is 0 but the results hold 1/);

    const timedOutPass = await sampleStatement();
    timedOutPass.predicate.results[0]!.commands[0]!.timedOut = true;
    expect(rejectionOf(timedOutPass).message).toMatch(/timed out, so it cannot pass/);

    const noReason = await sampleStatement();
    delete noReason.predicate.results[1]!.reason;
    expect(rejectionOf(noReason).message).toMatch(/needs a reason/);
  });

  it('wants UTC timestamps, a sane kind and 64-hex digests', async () => {
    const s = await sampleStatement();
    s.predicate.startedAt = '2026-11-23T16:04:05+01:00';
    expect(rejectionOf(s).message).toContain('predicate.startedAt');
    const k = await sampleStatement();
    k.predicate.kind = '../../etc';
    expect(rejectionOf(k).message).toContain('predicate.kind');
    const d = await sampleStatement();
    d.subject[0]!.digest.sha256 = 'ABC';
    expect(rejectionOf(d).message).toContain('subject.0.digest.sha256');
  });

  it('ties the approval field to kind "approval"', async () => {
    const s = await sampleStatement();
    s.predicate.approval = { seq: 1, record: 'x', sha256: '0'.repeat(64), reviewer: 'ana', note: '' };
    expect(rejectionOf(s).message).toContain('approval');
  });

  it('exports a JSON Schema of the record file', () => {
    const schema = evidenceJsonSchema() as { $id: string; properties: Record<string, { const?: string }>; additionalProperties: boolean };
    expect(schema.$id).toBe('https://shipproof.dev/schema/evidence-v1.json');
    expect(schema.properties._type?.const).toBe('https://in-toto.io/Statement/v1');
    expect(schema.properties.predicateType?.const).toBe('https://shipproof.dev/evidence/v1');
    expect(schema.additionalProperties).toBe(false);
    const text = JSON.stringify(schema);
    expect(text).toContain('"stdout"');
    expect(text).toContain('"human_needed"');
  });
});
