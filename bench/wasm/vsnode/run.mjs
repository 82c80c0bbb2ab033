// Times one kernel of a workloads .wasm in Node's V8, for `pliant bench --wasm-vs-node` (= `pliant wasm bench`).
// usage: node run.mjs FILE.wasm KERNEL N [RUNS] [WARMUP]
// Prints one JSON line: {"v8": version, "result": checksum, "times_ns": [wall time per timed run],
// "cpu_us": [process CPU time (user + system) per timed run]}.
// Warm-up calls let V8's dynamic tiering replace the baseline (Liftoff) code with TurboFan code;
// with RUNS=1 WARMUP=0 the single call is what a whole-process run measures.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const [file, kernel, n, runs = '5', warmup = '3'] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(readFileSync(file), { env: { host_empty() {} } });
const f = instance.exports[kernel];
if (typeof f !== 'function') throw new Error(`no exported function ${kernel}`);
let result = 0;
for (let i = 0; i < Number(warmup); i++) result = f(Number(n)) >>> 0;
if (Number(warmup) > 0) await sleep(100); // let background TurboFan compilation finish
const times = [], cpu = [];
for (let i = 0; i < Number(runs); i++) {
  const c = process.cpuUsage();
  const t = process.hrtime.bigint();
  result = f(Number(n)) >>> 0;
  times.push(Number(process.hrtime.bigint() - t));
  const d = process.cpuUsage(c);
  cpu.push(d.user + d.system);
}
console.log(JSON.stringify({ v8: process.versions.v8, result, times_ns: times, cpu_us: cpu }));
