// Medians and the printed table of the benchmark.

export const STEPS = [
  ["full", "initial full backup"],
  ["noop", "backup, nothing changed"],
  ["incr", "backup after the churn"],
  ["restore", "full restore of the latest"],
];

export function median(xs) {
  const v = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const MiB = 1024 * 1024;

/** Medians over the runs of every figure: { tools: { name: { step: {...} } }, baselines: {...} }. */
export function medians(runs, toolNames) {
  const tools = {};
  for (const t of toolNames) {
    tools[t] = {};
    for (const [step] of STEPS) {
      const xs = runs.map((r) => r.steps[t]?.[step]).filter(Boolean);
      const pick = (f) => median(xs.map(f));
      tools[t][step] = {
        wall: pick((x) => (x.ok ? x.wall : NaN)),
        cpu: pick((x) => (x.ok ? x.user + x.sys : NaN)),
        maxRssMiB: pick((x) => x.maxRssKiB / 1024),
        repoDiskBytes: pick((x) => x.repo?.diskBytes),
        repoBytes: pick((x) => x.repo?.bytes),
        stateDiskBytes: pick((x) => x.state?.diskBytes),
      };
    }
  }
  const baselines = {};
  for (const b of ["tar", "sha256", "sha256node", "cp"]) {
    baselines[b] = median(runs.map((r) => {
      const xs = [r.baselines.pre?.[b]?.wall, r.baselines.post?.[b]?.wall].filter((x) => Number.isFinite(x));
      return xs.length ? xs.reduce((a, c) => a + c, 0) / xs.length : NaN;
    }));
  }
  return { tools, baselines };
}

const pad = (s, n) => String(s).padStart(n);
const padEnd = (s, n) => String(s).padEnd(n);
const num = (x, digits = 2) => (x == null || !Number.isFinite(x) ? "—" : x.toFixed(digits));
const ratio = (a, b) => (a == null || b == null || !b ? "—" : (a / b).toFixed(2));

/** The human-readable report, as lines. */
export function table({ med, toolNames, dataset, header, verify }) {
  const L = [];
  const C = toolNames.includes("custodian") ? "custodian" : null;
  const peers = toolNames.filter((t) => t !== "custodian");
  const w = 12;
  const head = (title) => padEnd(title, 34) + toolNames.map((t) => pad(t, w)).join("");
  L.push(...header);
  L.push("");
  const b = med.baselines;
  const gib = dataset.bytes / (1024 * MiB);
  L.push(padEnd("baselines (mean of before/after churn)", 46) + pad("seconds", 10) + pad("MiB/s", 10));
  for (const [k, label] of [["tar", "tar -cf - | cat (reads every byte)"], ["sha256", "sha256sum of every file (coreutils)"], ["sha256node", "SHA-256 of every file (Node, one core)"], ["cp", "cp -a (read + write, no sync)"]]) {
    L.push(padEnd(`  ${label}`, 46) + pad(num(b[k]), 10) + pad(b[k] ? num(dataset.bytes / MiB / b[k], 0) : "—", 10));
  }
  L.push("");

  const ratioCols = C ? [...peers.map((p) => `C/${p}`), "C/tar"] : [];
  L.push(head("wall time, seconds (median)") + ratioCols.map((x) => pad(x, 10)).join(""));
  for (const [step, label] of STEPS) {
    const row = toolNames.map((t) => pad(num(med.tools[t][step].wall), w)).join("");
    const c = C ? med.tools[C][step].wall : null;
    const rs = C ? [...peers.map((p) => ratio(c, med.tools[p][step].wall)), ratio(c, b.tar)].map((x) => pad(x, 10)).join("") : "";
    L.push(padEnd(`${STEPS.findIndex((s) => s[0] === step) + 1} ${label}`, 34) + row + rs);
  }
  L.push("");
  L.push(head("CPU time (user + sys), seconds"));
  for (const [step, label] of STEPS) L.push(padEnd(`  ${label}`, 34) + toolNames.map((t) => pad(num(med.tools[t][step].cpu), w)).join(""));
  L.push("");
  L.push(head("peak RSS, MiB") + (C ? peers.map((p) => pad(`C/${p}`, 10)).join("") : ""));
  for (const [step, label] of STEPS) {
    const c = C ? med.tools[C][step].maxRssMiB : null;
    L.push(padEnd(`  ${label}`, 34) + toolNames.map((t) => pad(num(med.tools[t][step].maxRssMiB, 0), w)).join("") + (C ? peers.map((p) => pad(ratio(c, med.tools[p][step].maxRssMiB), 10)).join("") : ""));
  }
  L.push("");
  L.push(head(`repository on disk (du), MiB`) + (C ? peers.map((p) => pad(`C/${p}`, 10)).join("") : ""));
  for (const [step, label] of [["full", "full"], ["noop", "no-change backup"], ["incr", "churn backup"]]) {
    const c = C ? med.tools[C][step].repoDiskBytes : null;
    L.push(padEnd(`  after the ${label}`, 34) + toolNames.map((t) => pad(num(med.tools[t][step].repoDiskBytes / MiB, 1), w)).join("") + (C ? peers.map((p) => pad(ratio(c, med.tools[p][step].repoDiskBytes), 10)).join("") : ""));
  }
  L.push(padEnd(`  data set`, 34) + pad(`${num(dataset.bytes / MiB, 1)} (${num(gib, 2)} GiB)`, w * toolNames.length));
  L.push(padEnd(`  tool state (caches), after churn`, 34) + toolNames.map((t) => pad(num(med.tools[t].incr.stateDiskBytes / MiB, 1), w)).join(""));
  L.push("");
  for (const [t, v] of Object.entries(verify)) L.push(`restore check ${padEnd(t, 10)} ${v}`);
  return L;
}
