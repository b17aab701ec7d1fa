// Deploys for real through the CLI on the local target (the scenarios: test/helpers/deploy-fixture.ts).
import { describeDeployThrough } from '../helpers/deploy-fixture.js';

describeDeployThrough('local');
