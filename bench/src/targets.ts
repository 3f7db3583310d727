/** The targets for stepping, judged by the peers section (peers.ts) and across runs (history.ts). */
export const TARGET = { medianUs: 5, p99Us: 100, vsPeer: 3, buildVsScratch: 3, batchPerSec: 500_000, scaling: 1.5 }
