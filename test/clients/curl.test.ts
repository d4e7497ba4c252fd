// The README's curl lines, run as written by /bin/sh (only the host and the mount point replaced),
// against each front end: the lines at the top of the README and those under "Pushing to it".
import { readFileSync } from 'node:fs'
import t from 'tap'
import { runProgram, sampleLines, testOnEachFrontEnd } from '../helpers/clients.js'
import { CURL, requirePeers } from '../helpers/peers.js'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const HOST = 'http://localhost:3000'

/** The lines of the ```sh blocks in `markdown` that start with `echo` or `curl`. */
function shellLines (markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)]
    .flatMap(block => (block[1] as string).split('\n'))
    .filter(line => /^(echo|curl) /.test(line))
}

/** The text of the README from the heading `## <title>` to the next `## ` heading. */
function section (title: string): string {
  const start = README.indexOf(`\n## ${title}\n`)
  if (start === -1) return ''
  const end = README.indexOf('\n## ', start + 1)
  return README.slice(start, end === -1 ? undefined : end)
}

/** The grouping labels a push URL names (`…/metrics/job/<job>/<name>/<value>…`, @base64 too). */
function groupOf (command: string): Record<string, string> | undefined {
  const path = /\/metrics\/(job[^\s'"]*)/.exec(command)?.[1]
  if (path === undefined) return undefined
  const segments = path.split('/').map(segment => decodeURIComponent(segment))
  const labels: Record<string, string> = {}
  for (let i = 0; i + 1 < segments.length; i += 2) {
    const name = segments[i] as string
    const value = segments[i + 1] as string
    if (name.endsWith('@base64')) labels[name.slice(0, -'@base64'.length)] = Buffer.from(value, 'base64url').toString('utf8')
    else labels[name] = value
  }
  return labels
}

/** A pushed sample: what `/metrics` should serve for it. */
interface Expected { name: string, labels: string, value: number }

/** The samples an `echo '…' | curl …` line pushes to `group`, as the gateway serves them. */
function samplesOf (command: string, group: Record<string, string>): Expected[] {
  const body = /^echo (['"])(.*?)\1 *\|/.exec(command)?.[2] ?? ''
  return body.split('\n').filter(line => line !== '' && !line.startsWith('#')).map(line => {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (sample === null) throw new Error(`cannot read the sample "${line}" in: ${command}`)
    const labels: Record<string, string> = { instance: '' }
    for (const [, name, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)) labels[name as string] = value as string
    Object.assign(labels, group)
    const served = Object.keys(labels).sort().map(name => `${name}="${(labels[name] as string).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')
    return { name: sample[1] as string, labels: served, value: Number(sample[3]) }
  })
}

/** Whether `exposition` serves this sample (the value compared as a number: 1.7e9 is served as 1.7e+09). */
function serves (exposition: string, expected: Expected): boolean {
  return sampleLines(exposition, expected.name).some(line => line.startsWith(`${expected.name}{${expected.labels}} `) && Number(line.slice(line.lastIndexOf(' ') + 1)) === expected.value)
}

const topLines = shellLines(README.slice(0, README.search(/^## /m)))
const pushingLines = shellLines(section('Pushing to it'))

if (requirePeers(t, CURL) !== undefined) {
  t.ok(topLines.length > 0, `the top of the README shows curl lines (${topLines.length} found)`)
  t.ok(pushingLines.length > 0, `"Pushing to it" shows curl lines (${pushingLines.length} found)`)
  const lines = [...topLines, ...pushingLines]
  t.ok(lines.some(line => groupOf(line) !== undefined && !line.includes('-X DELETE')), 'one of them pushes')
  t.ok(lines.some(line => line.includes('-X DELETE')), 'one of them deletes')
  t.ok(lines.every(line => line.includes(HOST)), `they all talk to ${HOST}, which the test can redirect`)

  testOnEachFrontEnd(t, 'the README\'s curl lines, in order, do what they say', async (t, gateway) => {
    const live = new Map<string, Expected[]>()
    for (const line of lines) {
      // The push and delete URLs are under /pushgateway; the README's scrape of the service's
      // /metrics (the example app merges the pushed metrics into it, see examples.test.ts) goes to
      // the gateway's own /metrics here, which serves the pushed metrics as well.
      const command = line.replaceAll(`${HOST}/pushgateway`, gateway.url).replaceAll(HOST, gateway.url)
      const result = await runProgram('/bin/sh', ['-c', command])
      t.equal(result.code, 0, `${line}: exits 0`)
      const group = groupOf(command)
      if (group === undefined) {
        const expected = [...live.values()].flat()
        t.ok(expected.length > 0 && expected.every(sample => serves(result.stdout, sample)), `${line}: prints what was pushed`)
        continue
      }
      t.equal(result.stdout, '', `${line}: the gateway answers with an empty body, no error`)
      const id = JSON.stringify(Object.entries(group).sort())
      const inApi = (await gateway.groups()).some(labels => JSON.stringify(Object.entries(labels).sort()) === id)
      if (line.includes('-X DELETE')) {
        const deleted = live.get(id) ?? []
        live.delete(id)
        t.notOk(inApi, `${line}: the group ${id} is gone`)
        const metrics = await gateway.metrics()
        t.ok(deleted.length > 0 && deleted.every(sample => !serves(metrics, sample)), `${line}: its samples are no longer served`)
      } else {
        const pushed = samplesOf(command, group)
        live.set(id, pushed)
        t.ok(inApi, `${line}: the group ${id} exists`)
        const metrics = await gateway.metrics()
        t.ok(pushed.length > 0 && pushed.every(sample => serves(metrics, sample)), `${line}: /metrics serves ${pushed.map(sample => `${sample.name}{${sample.labels}} ${sample.value}`).join(', ')}`)
      }
    }
  })
}
