// The ten guarded milestones of a deploy, in order (PRODUCT.md). Each later milestone counts only
// when the earlier ones have passing evidence for the same release.
export const MILESTONES = [
  { number: 1, id: 'bundle-synced', title: 'Source/bundle synced' },
  { number: 2, id: 'env-files-present', title: 'Env files present' },
  { number: 3, id: 'host-env-gates', title: 'Host and env gates pass' },
  { number: 4, id: 'key-image-builds', title: 'Key image builds' },
  { number: 5, id: 'all-images-build', title: 'All images build' },
  { number: 6, id: 'stack-starts', title: 'Stack starts' },
  { number: 7, id: 'health-gate', title: 'Health gate passes' },
  { number: 8, id: 'proxy-tls', title: 'Reverse proxy / TLS serves' },
  { number: 9, id: 'backup-runs', title: 'Backup runs' },
  { number: 10, id: 'restore-rehearsal', title: 'Restore rehearsal passes' },
] as const;

export type MilestoneId = (typeof MILESTONES)[number]['id'];
