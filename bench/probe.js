// Preloaded into one of our gateways by the benchmarks, which start it as
//   node --expose-gc --import ./bench/probe.js dist/standalone/cli.js ...   (or bench/server.js)
// and ask it on the IPC channel: 'heap' answers the process's memory after full garbage
// collections; 'cpu-start' and 'cpu-stop' run V8's CPU profiler (the one behind --cpu-prof) over
// a phase of the benchmark only, and 'cpu-stop' answers the profile. A preload rather than a
// route, so that the standalone server is measured unchanged.
import { Session } from 'node:inspector/promises'
import process from 'node:process'

let session

async function answer (message) {
  if (message === 'heap') {
    if (typeof globalThis.gc !== 'function') throw new Error('bench/probe.js: start node with --expose-gc')
    // Twice: what the first collection frees can let a second one free more (weak maps, finalizers).
    globalThis.gc()
    globalThis.gc()
    const { heapUsed, external, arrayBuffers, rss } = process.memoryUsage()
    return { heapUsed, external, arrayBuffers, rss }
  }
  if (message === 'cpu-start') {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
    await session.post('Profiler.start')
    return {}
  }
  if (message === 'cpu-stop') {
    const { profile } = await session.post('Profiler.stop')
    session.disconnect()
    return { profile }
  }
  throw new Error(`bench/probe.js: unknown message ${message}`)
}

if (process.send !== undefined) {
  process.on('message', message => { answer(message).then(reply => process.send(reply)) })
  // The channel must not keep the server alive once it is asked to stop.
  process.channel?.unref()
}
