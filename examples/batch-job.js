// A batch job that pushes its metrics with prom-client's Pushgateway client, as cron jobs do.
// Start a gateway first (`npm start`), then: node examples/batch-job.js [gateway URL]
import { Gauge, Pushgateway, Registry } from 'prom-client'

const url = process.argv[2] ?? 'http://localhost:3000/pushgateway'
const registry = new Registry()
const lastSuccess = new Gauge({ name: 'backup_last_success_timestamp_seconds', help: 'When the backup last succeeded.', registers: [registry] })
const duration = new Gauge({ name: 'backup_duration_seconds', help: 'How long the backup took.', registers: [registry] })

const started = Date.now()
// ... the job's real work goes here ...
duration.set((Date.now() - started) / 1000)
lastSuccess.set(Date.now() / 1000)

const gateway = new Pushgateway(url, {}, registry)
await gateway.pushAdd({ jobName: 'backup', groupings: { instance: 'db1' } })
console.log(`pushed to ${url}/metrics/job/backup/instance/db1`)
