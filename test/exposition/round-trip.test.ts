import t from 'tap'
import { parseText } from '../../src/exposition/parse-text.js'
import { parseOpenMetrics } from '../../src/exposition/parse-openmetrics.js'
import { decodeDelimited, encodeDelimited } from '../../src/exposition/protobuf.js'
import { writeText } from '../../src/exposition/write-text.js'
import { writeOpenMetrics } from '../../src/exposition/write-openmetrics.js'

const BODY = `# HELP c_total Counted things, with a \\\\ and a\\nnewline.
# TYPE c_total counter
c_total{kind="a\\"b",path="/var/tmp"} 3
c_total{kind="x"} 1e+21
# TYPE g gauge
g NaN
g{sign="plus"} +Inf
g{sign="minus"} -Inf
g{tiny="yes"} 1.5e-07
# TYPE u untyped
u{é="no"} 0
# HELP s A summary.
# TYPE s summary
s{quantile="0.5"} 1.5
s{quantile="0.9"} 2
s_sum 10.5
s_count 7
# HELP h A histogram.
# TYPE h histogram
h_bucket{le="0.005"} 0
h_bucket{le="1"} 2
h_bucket{le="+Inf"} 3
h_sum 3.2
h_count 3
`

t.test('text -> protobuf -> text', async t => {
  const body = BODY.replace('{é="no"}', '{e="no"}')
  const families = parseText(body)
  const decoded = decodeDelimited(encodeDelimited(families))
  t.same(decoded, families, 'protobuf keeps every field')
  t.equal(writeText(decoded), writeText(families))
  t.same(parseText(writeText(families)), families, 'the text writer output parses back to the same families')
  t.equal(writeText(families), body, 'and is the same text, byte for byte')
})

t.test('text -> OpenMetrics -> model', async t => {
  const families = parseText(BODY.replace('{é="no"}', '{e="no"}'))
  const reparsed = parseOpenMetrics(writeOpenMetrics(families))
  t.same(reparsed.map(f => [f.name, f.type, f.help, f.metrics.length]), families.map(f => [f.name, f.type, f.help, f.metrics.length]))
  t.same(reparsed.find(f => f.name === 'h')?.metrics[0]?.histogram?.buckets.map(b => b.cumulativeCount), [0, 2, 3])
})

t.test('the text parser refuses what is not a legacy name', async t => {
  t.throws(() => parseText(BODY), { name: 'ParseError' })
})
