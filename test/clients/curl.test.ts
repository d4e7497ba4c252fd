// The README's curl lines, run as written (host and mount point replaced), against each front end.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { forEachFrontEnd, runProgram } from '../helpers/clients.js'
import { CURL, requirePeers } from '../helpers/peers.js'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const BASE = 'http://localhost:3000'

/** The shell lines of the README's `sh` blocks that push to or delete from the gateway. */
function curlLines (): string[] {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map(match => match[1] as string)
  return blocks.flatMap(block => block.split('\n')).map(line => line.replace(/\s+#.*$/, '').trim())
    .filter(line => /^(echo .*\| *)?curl /.test(line) && line.includes(`${BASE}/pushgateway/metrics/job/`))
}

if (requirePeers(t, CURL) !== undefined) {
  const lines = curlLines()
  t.ok(lines.length >= 3, `the README shows pushing and deleting with curl (${lines.length} lines found)`)
  t.ok(lines.some(line => line.includes('-X DELETE')), 'one of them deletes')

  forEachFrontEnd(t, async (t, gateway) => {
    for (const line of lines) {
      const command = line.replaceAll(`${BASE}/pushgateway`, gateway.url)
      const result = await runProgram('/bin/sh', ['-c', `${command} --fail --silent --show-error`])
      t.same([result.code, result.stderr], [0, ''], line)
      const path = /\/metrics\/job\/(\S+)/.exec(command)?.[1] as string
      const [job, ...rest] = path.split('/')
      const labels: Record<string, string> = { job: job as string }
      for (let i = 0; i + 1 < rest.length; i += 2) labels[rest[i] as string] = rest[i + 1] as string
      const sorted = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a < b ? -1 : 1))
      const groups = (await gateway.groups()).map(sorted)
      if (line.includes('-X DELETE')) {
        t.notOk(groups.includes(sorted(labels)), `the group ${JSON.stringify(labels)} is gone`)
      } else {
        t.ok(groups.includes(sorted(labels)), `the group ${JSON.stringify(labels)} exists`)
        const sample = /^echo '([^ {]+)[^']* ([^ ']+)'/.exec(line)
        if (sample !== null) t.match(await gateway.metrics(), `${sample[1] as string}{${(JSON.parse(sorted({ instance: '', ...labels })) as string[][]).map(([k, v]) => `${k as string}="${v as string}"`).join(',')}} `, 'the pushed sample is served')
      }
    }
  })
}
