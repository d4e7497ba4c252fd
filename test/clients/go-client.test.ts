// client_golang's push package (protobuf bodies) against each front end.
import t from 'tap'
import { buildGoClient, forEachFrontEnd, runProgram } from '../helpers/clients.js'

const binary = await buildGoClient(t)
if (binary !== undefined) {
  const go = async (url: string, op: string, job: string, value: number, ...labels: string[]): Promise<void> => {
    const result = await runProgram(binary, ['-url', url, '-job', job, '-op', op, '-value', String(value), ...labels.flatMap(label => ['-label', label])])
    t.same([result.code, result.stderr], [0, ''], `go client ${op} ${job} ${labels.join(' ')}`)
  }

  forEachFrontEnd(t, async (t, gateway) => {
    await go(gateway.url, 'push', 'batch', 3, 'path=/var/tmp', 'host=a b', 'empty=')
    let metrics = await gateway.metrics()
    const key = 'empty="",host="a+b",instance="",job="batch",path="/var/tmp"'
    t.match(metrics, `# HELP go_client_items_total Items processed by the Go client.\n# TYPE go_client_items_total counter\ngo_client_items_total{${key}} 3\n`, 'Push: a slash through @base64, an empty value through "=", a space as + (Go\'s QueryEscape)')
    t.match(metrics, `go_client_duration_seconds_bucket{${key},le="1"} 0\ngo_client_duration_seconds_bucket{${key},le="5"} 1\ngo_client_duration_seconds_bucket{${key},le="+Inf"} 1\ngo_client_duration_seconds_sum{${key}} 3\ngo_client_duration_seconds_count{${key}} 1\n`)
    t.match(metrics, new RegExp(`push_time_seconds\\{${key.replace(/[+/]/g, '\\$&')}\\} 1\\.\\d+e\\+09\\n`))

    await go(gateway.url, 'add', 'batch', 7, 'path=/var/tmp', 'host=a b', 'empty=')
    metrics = await gateway.metrics()
    t.match(metrics, `go_client_items_total{${key}} 7\n`, 'Add replaces the families it pushes')
    t.match(metrics, `go_client_last_success_seconds{${key}} 7\n`)

    await go(gateway.url, 'push', 'batch', 1, 'path=/var/tmp', 'host=a b', 'empty=', 'extra=x')
    await go(gateway.url, 'push', 'other', 2)
    t.same(await gateway.groups(), [
      { empty: '', extra: 'x', host: 'a+b', job: 'batch', path: '/var/tmp' },
      { empty: '', host: 'a+b', job: 'batch', path: '/var/tmp' },
      { job: 'other' }
    ])

    await go(gateway.url, 'delete', 'batch', 0, 'path=/var/tmp', 'host=a b', 'empty=')
    t.same(await gateway.groups(), [
      { empty: '', extra: 'x', host: 'a+b', job: 'batch', path: '/var/tmp' },
      { job: 'other' }
    ], 'Delete (which requires a 202) removes only its own group')
    metrics = await gateway.metrics()
    t.notMatch(metrics, `go_client_items_total{${key}}`)
    t.match(metrics, 'go_client_items_total{instance="",job="other"} 2\n')

    const refused = await runProgram(binary, ['-url', gateway.url, '-job', 'batch', '-op', 'push', '-label', '__bad=1'])
    t.equal(refused.code, 1, 'a refused push is an error for the client')
    t.match(refused.stderr, 'improper label name "__bad"')
  })
}
