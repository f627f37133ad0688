/**
 * Policy engine benchmark: random flows against 200 NSGs × 100 rules plus an AVNM configuration.
 * Runs the compiled engine (`evaluateFast`) and the naive baseline (linear scans, CIDR strings
 * parsed per evaluation) in the same process. `--json`: the last stdout line is one JSON object.
 *
 *   npm run bench:policy -- [--json] [--flows 1000000] [--baseline-flows 20000] [--seed 1]
 */
import { loadavg } from 'node:os';
import { formatIpv4 } from '../src/model/index.js';
import { compilePolicy, evaluateFast, newFastVerdict } from '../src/policy/index.js';
import { naiveEvaluate } from '../src/policy/naive.js';
import { randomFlows, syntheticPolicyScenario } from '../src/policy/synthetic.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const json = process.argv.includes('--json');
const flowsN = arg('flows', 1_000_000);
const baselineN = arg("baseline-flows", 5_000);
const seed = arg('seed', 1);
const log = (m: string) => {
  if (!json) process.stdout.write(`${m}\n`);
  else process.stderr.write(`${m}\n`);
};

const t0 = performance.now();
const scenario = syntheticPolicyScenario({ seed, vnets: 20, subnetsPerVnet: 10, nicsPerSubnet: 5, rulesPerNsg: 100, adminRules: 20 });
const tScenario = performance.now();
const policy = compilePolicy(scenario);
const tCompile = performance.now();
log(`scenario: ${scenario.nsgs.length} NSGs × ${scenario.nsgs[0].securityRules.length} rules, ${scenario.nics.length} NICs, ${policy.classifiers.length} classifiers (built in ${(tScenario - t0).toFixed(0)} ms, compiled in ${(tCompile - tScenario).toFixed(0)} ms)`);

const flows = randomFlows(scenario, flowsN, seed + 1);
const out = newFastVerdict();

// Warm-up, then the measured pass.
for (let i = 0; i < Math.min(100_000, flows.count); i++)
  evaluateFast(policy, flows.srcIp[i], flows.dstIp[i], flows.srcPort[i], flows.dstPort[i], flows.protocol[i], 'documented', out);
let allowed = 0;
const cpu0 = process.cpuUsage();
const ts = performance.now();
for (let i = 0; i < flows.count; i++) {
  evaluateFast(policy, flows.srcIp[i], flows.dstIp[i], flows.srcPort[i], flows.dstPort[i], flows.protocol[i], 'documented', out);
  if (out.allowed) allowed++;
}
const fastSeconds = (performance.now() - ts) / 1000;
const cpu1 = process.cpuUsage(cpu0);
const fastCpuSeconds = (cpu1.user + cpu1.system) / 1e6;
const verdictsPerS = flows.count / fastSeconds;
log(
  `compiled: ${flows.count} verdicts in ${fastSeconds.toFixed(3)} s wall (${fastCpuSeconds.toFixed(3)} s CPU) = ` +
    `${Math.round(verdictsPerS).toLocaleString('en-US')}/s wall, ${Math.round(flows.count / fastCpuSeconds).toLocaleString('en-US')}/s per CPU-second ` +
    `(${((100 * allowed) / flows.count).toFixed(1)}% allowed)`,
);

// Baseline on a prefix of the same flows (it is far slower); the verdicts must agree.
const n = Math.min(baselineN, flows.count);
const texts = Array.from({ length: n }, (_, i) => ({ src: formatIpv4(flows.srcIp[i]), dst: formatIpv4(flows.dstIp[i]) }));
const tags = new Map();
let mismatches = 0;
const cpuB0 = process.cpuUsage();
const tb = performance.now();
for (let i = 0; i < n; i++) {
  const v = naiveEvaluate(scenario, tags, { srcIp: texts[i].src, dstIp: texts[i].dst, srcPort: flows.srcPort[i], dstPort: flows.dstPort[i], protocol: flows.protocol[i] });
  if (v.allowed !== (evaluateFast(policy, flows.srcIp[i], flows.dstIp[i], flows.srcPort[i], flows.dstPort[i], flows.protocol[i], 'documented', out).allowed)) mismatches++;
}
const baselineSeconds = (performance.now() - tb) / 1000;
const cpuB1 = process.cpuUsage(cpuB0);
const baselineCpuSeconds = (cpuB1.user + cpuB1.system) / 1e6;
const baselinePerS = n / baselineSeconds;
log(`baseline: ${n} verdicts in ${baselineSeconds.toFixed(3)} s = ${Math.round(baselinePerS).toLocaleString('en-US')}/s; decision mismatches: ${mismatches}`);
const ratio = verdictsPerS / baselinePerS;
log(`ratio: ${ratio.toFixed(1)}× (targets: ≥ 1,000,000 verdicts/s, ≥ 20×)`);
if (mismatches > 0) process.exitCode = 1;

const result = {
  bench: 'policy',
  nsgs: scenario.nsgs.length,
  rules_per_nsg: scenario.nsgs[0].securityRules.length,
  admin_rules: scenario.networkManagers[0].securityAdminConfigurations[0].ruleCollections[0].rules.length,
  nics: scenario.nics.length,
  flows: flows.count,
  baseline_flows: n,
  compile_ms: Math.round(tCompile - tScenario),
  verdicts_per_s: Math.round(verdictsPerS),
  baseline_verdicts_per_s: Math.round(baselinePerS),
  verdicts_per_cpu_s: Math.round(flows.count / fastCpuSeconds),
  baseline_verdicts_per_cpu_s: Math.round(n / baselineCpuSeconds),
  ratio: Math.round(ratio * 10) / 10,
  mismatches,
  // Wall-clock rates suffer when other processes share the cores; CPU-second rates do not.
  load_avg_1m: Math.round(loadavg()[0] * 10) / 10,
};
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
