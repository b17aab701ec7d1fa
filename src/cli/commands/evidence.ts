import type { Command } from 'commander';
import { loadCommandConfig } from '../config.js';
import { EvidenceStore } from '../../evidence/store.js';
import { verifyExitCode } from '../../evidence/verify.js';
import { PUBLIC_KEY_FILE, readEvidencePublicKey } from '../../evidence/signing-key.js';
import { UsageError } from '../../errors.js';
import { TOOL_VERSION } from '../../version.js';
import { operatorName } from '../../evidence/statement.js';
import { sealStatement } from '../../evidence/record.js';
import { contextOf, type CommandContext } from '../context.js';
import { table } from '../output.js';

async function openStore(ctx: CommandContext): Promise<EvidenceStore> {
  const config = await loadCommandConfig(ctx);
  return EvidenceStore.open(config.evidenceDir, { toolVersion: TOOL_VERSION });
}

export function registerEvidence(program: Command): void {
  const evidence = program.command('evidence').description('the evidence ledger: list, show, verify, approve');

  evidence
    .command('list')
    .description('the ledger as a table')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const entries = await (await openStore(ctx)).list();
      ctx.out.result(() => {
        if (entries.length === 0) return 'The evidence ledger is empty: run `shipproof collect` to write the first record.';
        const rows = [['SEQ', 'TIME', 'KIND', 'TARGET', 'STATUS', 'RECORD']];
        for (const e of entries) {
          const kind = e.milestone ? `${e.kind} ${e.milestone.number} ${e.milestone.id}` : e.kind;
          rows.push([String(e.seq), e.time, kind, e.target, e.status, e.record]);
        }
        return table(rows);
      }, { entries });
    });

  evidence
    .command('show')
    .description('one record, by sequence number or record name')
    .argument('<id>', 'sequence number, record name, or a unique prefix of one')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const shown = await (await openStore(ctx)).show(/^\d+$/.test(id) ? Number(id) : id);
      if (ctx.options.json) ctx.out.json({ entry: shown.entry, statement: shown.statement });
      else ctx.out.raw(shown.markdown);
    });

  evidence
    .command('verify')
    .description('check the whole ledger: every byte, every link, every signature; names the first bad record')
    .action(async (_o: unknown, cmd: Command) => {
      const ctx = contextOf(cmd);
      const store = await openStore(ctx);
      const report = await store.verify();
      const pub = await readEvidencePublicKey(store.dir).catch(() => ({ state: 'invalid' as const }));
      const signingKey = pub.state === 'ok' ? pub.key.keyid : null;
      ctx.out.result(() => {
        const lines: string[] = [];
        lines.push(
          signingKey === null
            ? `signing key: ${pub.state === 'missing' ? `none (${PUBLIC_KEY_FILE} is missing)` : `${PUBLIC_KEY_FILE} is not an ed25519 public key`}`
            : `signing key: ${signingKey} (${PUBLIC_KEY_FILE}; compare it with the fingerprint you trust)`,
        );
        if (report.ok) lines.push(`${ctx.out.paint('green', 'ok')}: ${report.entries} record(s), chain and signatures intact`);
        else {
          const where = report.firstBad?.seq !== undefined ? `record #${report.firstBad.seq}` : (report.firstBad?.record ?? 'the ledger');
          lines.push(`${ctx.out.paint('red', report.kind === 'signature' ? 'bad signature' : 'broken chain')} at ${where}: ${report.firstBad?.problem ?? 'unknown problem'}`);
        }
        for (const w of report.warnings) lines.push(`${ctx.out.paint('yellow', 'warning')}: ${w}`);
        return lines.join('\n');
      }, { ...report, signingKey });
      process.exitCode = verifyExitCode(report);
    });

  evidence
    .command('approve')
    .description("record a reviewer's sign-off of one record, as its own chained entry")
    .argument('<seq>', 'sequence number of the record reviewed')
    .option('-m, --note <text>', 'what the reviewer checked', '')
    .option('--reviewer <name>', 'who reviewed (default: this user)')
    .action(async (seq: string, o: { note: string; reviewer?: string }, cmd: Command) => {
      const ctx = contextOf(cmd);
      if (!/^\d+$/.test(seq)) throw new UsageError(`"${seq}" is not a record sequence number.`, { hint: 'See `shipproof evidence list`.' });
      const entry = await (await openStore(ctx)).approve(Number(seq), { reviewer: o.reviewer ?? operatorName(), note: o.note }, (s) => sealStatement(s));
      ctx.out.result(() => `${ctx.out.paint('green', 'approved')} record #${seq} (approval is record #${entry.seq}: ${entry.record})`, { approval: entry });
    });
}
