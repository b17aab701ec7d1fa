// The zero-downtime cut-over for real on the local target: a code change, a release that fails its gate, a rollback by hand
// (the scenarios: test/helpers/cutover-site.ts).
import { describeCutoverDeploy } from '../helpers/cutover-site.js';

describeCutoverDeploy('local', true);
