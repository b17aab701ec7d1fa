// The zero-downtime cut-over for real on the ssh target: a code change, every command over SSH
// (the scenarios: test/helpers/cutover-site.ts).
import { describeCutoverDeploy } from '../helpers/cutover-site.js';

describeCutoverDeploy('ssh', false);
