// Preloaded into the framework alone by the footprint benchmark (bench/server.js bare-*):
//   BENCH_BALLAST_BYTES=<n> node --import ./bench/ballast.js bench/server.js bare-express <port>
// It keeps live, for the process's life, small objects holding strings and numbers until the heap
// holds BENCH_BALLAST_BYTES more than before: as much as a gateway's store holds, so that the
// framework's own garbage is collected in a heap as large as the one it meets beside a store.
const target = Number(process.env.BENCH_BALLAST_BYTES ?? 0)
const kept = []
const start = process.memoryUsage().heapUsed
let i = 0
while (process.memoryUsage().heapUsed - start < target) {
  for (const end = i + 1000; i < end; i++) {
    kept.push({ labels: [{ name: 'kind', value: `k${i}` }], value: i + 0.5, line: `bench_items_total{instance="i${i}",job="bench",kind="k${i % 10}"} ${i}\n` })
  }
}
globalThis.benchBallast = kept
