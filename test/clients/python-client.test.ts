// The Python client (push_to_gateway, pushadd_to_gateway, delete_from_gateway) against each front end.
import t from 'tap'
import { forEachFrontEnd, PYTHON_CLIENT_SCRIPT, runProgram } from '../helpers/clients.js'
import { PYTHON, PYTHON_CLIENT, requirePeers } from '../helpers/peers.js'

const peers = requirePeers(t, PYTHON, PYTHON_CLIENT)
if (peers !== undefined) {
  const python = peers[0] as string
  const py = async (url: string, op: string, job: string, value: number, labels: string[], gzip = false): Promise<void> => {
    const args = [PYTHON_CLIENT_SCRIPT, '--url', url, '--job', job, '--op', op, '--value', String(value), ...labels.flatMap(label => ['--label', label])]
    const result = await runProgram(python, gzip ? [...args, '--gzip'] : args)
    t.same([result.code, result.stderr], [0, ''], `python client ${op} ${job} ${labels.join(' ')}${gzip ? ' (gzip)' : ''}`)
  }

  forEachFrontEnd(t, async (t, gateway) => {
    const labels = ['path=/var/tmp', 'empty=', 'host=a b']
    const key = 'empty="",host="a+b",instance="",job="batch",path="/var/tmp"'
    await py(gateway.url, 'push', 'batch', 3, labels)
    let metrics = await gateway.metrics()
    t.match(metrics, `# HELP py_client_items_total Items processed by the Python client.\n# TYPE py_client_items_total counter\npy_client_items_total{${key}} 3\n`, 'push_to_gateway: a slash and an empty value through @base64, a space as + (quote_plus)')
    t.match(metrics, `# HELP py_client_items_created Items processed by the Python client.\n# TYPE py_client_items_created gauge\npy_client_items_created{${key}} `, 'the _created series arrive as a gauge, as text 0.0.4 carries them')
    t.match(metrics, `py_client_duration_seconds_bucket{${key},le="1"} 0\npy_client_duration_seconds_bucket{${key},le="5"} 1\npy_client_duration_seconds_bucket{${key},le="+Inf"} 1\npy_client_duration_seconds_sum{${key}} 3\n`, 'le written from the parsed float ("1.0" becomes "1"), as the reference writes it')

    await py(gateway.url, 'add', 'batch', 8, labels)
    metrics = await gateway.metrics()
    t.match(metrics, `py_client_items_total{${key}} 8\n`, 'pushadd_to_gateway replaces the families it pushes')

    await py(gateway.url, 'push', 'zipped', 5, ['instance=i1'], true)
    t.match(await gateway.metrics(), 'py_client_last_success_seconds{instance="i1",job="zipped"} 5\n', 'a gzip body (through a custom handler: the client has no compression option)')

    t.same(await gateway.groups(), [
      { empty: '', host: 'a+b', job: 'batch', path: '/var/tmp' },
      { instance: 'i1', job: 'zipped' }
    ])
    await py(gateway.url, 'delete', 'batch', 0, labels)
    t.same(await gateway.groups(), [{ instance: 'i1', job: 'zipped' }], 'delete_from_gateway removes only its group')

    const refused = await runProgram(python, [PYTHON_CLIENT_SCRIPT, '--url', gateway.url, '--job', 'batch', '--label', '__bad=1'])
    t.equal(refused.code, 1, 'a refused push raises in the client')
    t.match(refused.stderr, 'HTTP Error 400')
  })
}
