// Zero-downtime cut-over of compose services (see ARCHITECTURE.md, "Cut-over").
export { caddyfilePortFor, caddyInvocation, dialedHosts, pinUpstreams } from './caddy.js';
export { decideMethod, serviceFacts, type FactOptions, type MethodDecision } from './classify.js';
export { planServiceCutover, matchesPlanned, type PlannedCommand, type ServicePlan } from './plan.js';
export { runCutover, realClock } from './run.js';
export type * from './types.js';
