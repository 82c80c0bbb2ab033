// Times one kernel of a workloads .wasm in Node's V8, for `pliant bench --wasm-vs-node` (= `pliant wasm bench`).
// usage: node run.mjs FILE.wasm KERNEL N [RUNS] [WARMUP]
// Prints one JSON line: {"v8": version, "result": checksum, "times_ns": [wall time per timed run],
// "cpu_us": [process CPU time (user + system) per timed run]}.
// Warm-up calls let V8's dynamic tiering replace the baseline (Liftoff) code with TurboFan code;
// with RUNS=1 WARMUP=0 the single call is what a whole-process run measures.
//
// usage: node run.mjs --serve FILE.wasm
// Paired mode: reads commands from stdin, one per line, and answers each with one JSON line:
// "call KERNEL N" times one call ({"result", "ns", "cpu_us"}); "settle" waits 100 ms for background
// compilation and answers {"ok": true}. The bench alternates single calls between this process and its own
// engine, so each pair of calls sees the same moment of the host.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

if (process.argv[2] === '--serve') {
  const { instance } = await WebAssembly.instantiate(readFileSync(process.argv[3]), { env: { host_empty() {} } });
  for await (const line of createInterface({ input: process.stdin })) {
    const [cmd, kernel, n] = line.trim().split(/\s+/);
    if (cmd === 'settle') { await sleep(100); console.log(JSON.stringify({ ok: true })); continue; }
    if (cmd !== 'call') { console.log(JSON.stringify({ error: `unknown command ${cmd}` })); continue; }
    const f = instance.exports[kernel];
    if (typeof f !== 'function') { console.log(JSON.stringify({ error: `no exported function ${kernel}` })); continue; }
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    const result = f(Number(n)) >>> 0;
    const ns = Number(process.hrtime.bigint() - t);
    const d = process.cpuUsage(c);
    console.log(JSON.stringify({ result, ns, cpu_us: d.user + d.system }));
  }
  process.exit(0);
}

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
