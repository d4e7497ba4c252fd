import t from 'tap'
import { acceptsGzip, negotiate, negotiateFormat, withEscaping } from '../../src/exposition/negotiate.js'
import type { ExpositionFormat } from '../../src/exposition/negotiate.js'

// What Prometheus 2.42 sends when scraping, without and with protobuf negotiation enabled.
const PROMETHEUS_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1'
const PROMETHEUS_PROTOBUF_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'
const PROTOBUF = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited'

t.test('negotiateFormat', async t => {
  t.test('answers the Accept headers Prometheus sends', async t => {
    t.equal(negotiateFormat(PROMETHEUS_ACCEPT), 'text')
    t.equal(negotiateFormat(PROMETHEUS_ACCEPT, { openMetrics: false }), 'text')
    t.equal(negotiateFormat(PROMETHEUS_ACCEPT, { openMetrics: true }), 'openmetrics')
    t.equal(negotiateFormat(PROMETHEUS_PROTOBUF_ACCEPT), 'protobuf')
    t.equal(negotiateFormat(PROMETHEUS_PROTOBUF_ACCEPT, { openMetrics: true }), 'protobuf')
  })

  t.test('falls back to text', async t => {
    t.equal(negotiateFormat(undefined), 'text')
    t.equal(negotiateFormat(''), 'text')
    t.equal(negotiateFormat('*/*'), 'text')
    t.equal(negotiateFormat('application/json'), 'text')
    t.equal(negotiateFormat('*/*', { openMetrics: true }), 'text')
  })

  const cases: ReadonlyArray<readonly [string, ExpositionFormat, ExpositionFormat]> = [
    // [Accept, result without OpenMetrics, result with OpenMetrics]
    ['text/plain', 'text', 'text'],
    ['text/plain;version=0.0.4', 'text', 'text'],
    ['text/plain; version=0.0.4; charset=utf-8', 'text', 'text'],
    [PROTOBUF, 'protobuf', 'protobuf'],
    [PROTOBUF.replaceAll(';', '; '), 'protobuf', 'protobuf'],
    // Walked by descending q; the later protobuf clause has the higher q.
    ['text/plain;q=0.5,' + PROTOBUF, 'protobuf', 'protobuf'],
    [PROTOBUF + ';q=0.4,text/plain;q=0.5', 'text', 'text'],
    // Ties keep header order.
    ['text/plain;q=0.5,' + PROTOBUF + ';q=0.5', 'text', 'text'],
    [PROTOBUF + ';q=0.5,text/plain;q=0.5', 'protobuf', 'protobuf'],
    // A text version other than 0.0.4 is skipped.
    ['text/plain;version=1.0.0,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    ['text/plain;version=0.0.3', 'text', 'text'],
    // Protobuf needs the MetricFamily proto and the delimited encoding; text encodings are not served.
    ['application/vnd.google.protobuf;encoding=delimited', 'text', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily', 'text', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text', 'text', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text', 'text', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    // OpenMetrics versions.
    ['application/openmetrics-text', 'text', 'openmetrics'],
    ['application/openmetrics-text;version=0.0.1', 'text', 'openmetrics'],
    ['application/openmetrics-text; version=1.0.0; charset=utf-8', 'text', 'openmetrics'],
    ['application/openmetrics-text;version=2.0.0', 'text', 'text'],
    ['application/openmetrics-text;version=2.0.0,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    ['application/openmetrics-text;version=1.0.0,' + PROTOBUF + ';q=0.9', 'protobuf', 'openmetrics'],
    // Wildcards never match a format.
    ['*/*,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    ['application/*,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    ['*;q=0.9,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    // Media types and parameters are compared as written (case-sensitive), as Go does.
    ['Text/Plain;version=0.0.4,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    [PROTOBUF.replace('delimited', 'Delimited'), 'text', 'text'],
    // Malformed clauses are skipped.
    ['text,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    ['text/,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    ['text/plain/x,' + PROTOBUF + ';q=0.1', 'protobuf', 'protobuf'],
    ['text/plain/;version=0.0.4', 'text', 'text'],
    [',,' + PROTOBUF, 'protobuf', 'protobuf'],
    ['  ' + PROTOBUF + '  ', 'protobuf', 'protobuf'],
    // Malformed parameters are ignored: no "=", an empty value, two "=".
    ['application/vnd.google.protobuf;proto;proto=io.prometheus.client.MetricFamily;encoding=delimited', 'protobuf', 'protobuf'],
    ['application/vnd.google.protobuf;proto=;encoding=delimited', 'text', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited=x', 'text', 'text'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited=', 'protobuf', 'protobuf'],
    ['text/plain;version=0.0.4;;q=0.5,' + PROTOBUF + ';q=0.6', 'protobuf', 'protobuf'],
    // q is read like strconv.ParseFloat(s, 32): unreadable means 0, and it is not trimmed.
    ['text/plain;q=abc,' + PROTOBUF + ';q=0.001', 'protobuf', 'protobuf'],
    ['text/plain;q= 0.5,' + PROTOBUF + ';q=0.001', 'protobuf', 'protobuf'],
    ['text/plain;q=.5,' + PROTOBUF + ';q=0.4', 'text', 'text'],
    ['text/plain;q=5e-1,' + PROTOBUF + ';q=0.4', 'text', 'text'],
    ['text/plain;q=1e400,' + PROTOBUF, 'text', 'text'],
    // Float32 rounding makes these q values equal, so header order decides.
    ['text/plain;q=0.30000000001,' + PROTOBUF + ';q=0.3', 'text', 'text'],
    [PROTOBUF + ';q=0.3,text/plain;q=0.30000000001', 'protobuf', 'protobuf'],
    // goautoneg keeps q=0 clauses, and so does expfmt.
    [PROTOBUF + ';q=0', 'protobuf', 'protobuf']
  ]

  t.test('follows expfmt Negotiate and goautoneg', async t => {
    for (const [accept, plain, withOpenMetrics] of cases) {
      t.equal(negotiateFormat(accept), plain, accept)
      t.equal(negotiateFormat(accept, { openMetrics: true }), withOpenMetrics, accept + ' (OpenMetrics)')
    }
  })
})

t.test('acceptsGzip', async t => {
  const cases: ReadonlyArray<readonly [string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['gzip', true],
    ['GZip', true],
    ['gzip, deflate, br', true],
    ['deflate, gzip;q=1.0, *;q=0.5', true],
    ['deflate, br', false],
    ['identity', false],
    ['gzip;q=0', false],
    ['gzip; q=0.000', false],
    ['gzip;q=0.001', true],
    ['*', true],
    ['*;q=0', false],
    ['gzip;q=0, *', false],
    ['*, gzip;q=0', false],
    ['gzip;q=0, gzip;q=0.5', true],
    ['gzip;Q=0.5', true],
    ['gzip;level=1;q=0', false],
    ['gzip;level=1', true],
    ['gzip;q=abc', false],
    ['gzip;q=', false],
    [' gzip ; q=0.8 ', true],
    ['x-gzip', false],
    ['gzipx', false]
  ]
  for (const [header, expected] of cases) t.equal(acceptsGzip(header), expected, String(header))
})

t.test('negotiate picks the escaping of names as expfmt does (checked against Pushgateway 1.11.0)', async t => {
  const cases: ReadonlyArray<readonly [string | undefined, string, string]> = [
    [undefined, 'text', 'underscores'],
    ['', 'text', 'underscores'],
    [PROTOBUF, 'protobuf', 'underscores'],
    [`${PROTOBUF};escaping=values`, 'protobuf', 'values'],
    ['text/plain;version=0.0.4;escaping=allow-utf-8', 'text', 'allow-utf-8'],
    ['text/plain;escaping=dots', 'text', 'dots'],
    ['text/plain;escaping=bogus', 'text', 'underscores'],
    // a clause walked before the one that wins passes its scheme on, even when it does not match
    [`application/openmetrics-text;version=1.0.0;escaping=allow-utf-8,${PROTOBUF}`, 'protobuf', 'allow-utf-8'],
    [`text/plain;escaping=dots,${PROTOBUF}`, 'text', 'dots'],
    // by descending q: the text clause wins, the protobuf clause after it is not walked
    [`text/plain;version=0.0.4;q=0.5;escaping=allow-utf-8,${PROTOBUF};escaping=values;q=0.1`, 'text', 'allow-utf-8'],
    // nothing matches: every clause was walked
    ['application/json;escaping=values,*/*;escaping=dots', 'text', 'dots']
  ]
  for (const [accept, format, escaping] of cases) t.same(negotiate(accept), { format, escaping }, String(accept))
  t.same(negotiate('application/openmetrics-text;escaping=values', { openMetrics: true }), { format: 'openmetrics', escaping: 'values' })
  t.equal(withEscaping('text/plain; version=0.0.4; charset=utf-8', 'dots'), 'text/plain; version=0.0.4; charset=utf-8; escaping=dots')
})
