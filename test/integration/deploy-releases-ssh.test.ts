// Releases that own everything they run, for real on the ssh target: an env-only broken change
// rolls back with the OLD env; a code change to one service leaves the other container untouched;
// every --dry-run changes nothing (the scenarios: test/helpers/releases-site.ts).
import { describeReleaseBasics } from '../helpers/releases-site.js';

describeReleaseBasics('ssh');
