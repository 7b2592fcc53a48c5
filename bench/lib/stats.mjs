// Latency recording and summaries shared by the scripted scenarios.

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

const round = (ms) => (ms === null ? null : Math.round(ms * 10) / 10);

export function latencySummary(values) {
  const sorted = Float64Array.from(values).sort();
  return { p50: round(percentile(sorted, 50)), p90: round(percentile(sorted, 90)), p99: round(percentile(sorted, 99)), max: round(percentile(sorted, 100)) };
}

/** Counts failures by reason and keeps a few examples. */
export function createErrorLog(keep = 5) {
  const byReason = {};
  const examples = [];
  let total = 0;
  return {
    add(reason, detail) {
      total++;
      byReason[reason] = (byReason[reason] ?? 0) + 1;
      if (examples.length < keep) examples.push(detail ? `${reason}: ${String(detail).slice(0, 300)}` : reason);
    },
    get total() {
      return total;
    },
    summary: () => ({ total, byReason: { ...byReason }, examples: [...examples] }),
  };
}
