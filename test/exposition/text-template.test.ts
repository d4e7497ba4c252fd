import t from 'tap'
import { parseText, textParser } from '../../src/exposition/parse-text.js'
import { ValueRecord, repeatedValues, textTemplate, type TextTemplate } from '../../src/exposition/text-template.js'
import type { MetricFamily } from '../../src/exposition/types.js'

// The template of a body as the service and the store make it: parsed with a record, then checked against the families.
function templateOf (text: string, families?: MetricFamily[]): TextTemplate | undefined {
  return textTemplate(text, recordOf(text), families ?? parseText(text))?.make()
}

function recordOf (text: string): ValueRecord {
  const record = new ValueRecord()
  textParser(text, undefined, 'legacy', record).parseSlice(Infinity)
  return record
}

const BODY = '# HELP a_total A counter.\n# TYPE a_total counter\na_total{kind="x"} 1\na_total{kind="y",note="a \\"}\\" b"} 2\n# TYPE g gauge\ng 3.5\nu{l="1"}\t-4e3\n'

t.test('a body that repeats another but for its values gives its values, in order', async t => {
  const template = templateOf(BODY)
  t.ok(template)
  t.same(template?.families, ['a_total', 'a_total', 'g', 'u'])
  t.same(template?.metrics, [0, 1, 0, 0])
  const again = BODY.replace('} 1\n', '} 10\n').replace('} 2\n', '} +Inf\n').replace('g 3.5', 'g NaN').replace('-4e3', '0.25')
  t.same([...repeatedValues(again, template as TextTemplate) ?? []], [10, Infinity, NaN, 0.25])
  t.same([...repeatedValues(BODY, template as TextTemplate) ?? []], [1, 2, 3.5, -4000], 'the same body again')
})

t.test('a body that differs elsewhere, or whose value the parser would not read, is no repeat', async t => {
  const template = templateOf(BODY) as TextTemplate
  const cases: Record<string, string> = {
    'another label value': BODY.replace('kind="x"', 'kind="z"'),
    'another HELP': BODY.replace('A counter.', 'A counter!'),
    'a value that is no float': BODY.replace('g 3.5', 'g 3,5'),
    'a hexadecimal float': BODY.replace('g 3.5', 'g 0x1p3'),
    'a value out of range': BODY.replace('g 3.5', 'g 1e999'),
    'a blank before the value': BODY.replace('g 3.5', 'g  3.5'),
    'a timestamp after the value': BODY.replace('g 3.5', 'g 3.5 100'),
    'a line more': BODY + 'z 1\n',
    'a line less': BODY.slice(0, BODY.lastIndexOf('u{')),
    'no line feed after the last value': BODY.slice(0, -1),
    'the last value cut short': BODY.slice(0, -4),
    'a text shorter than a part': '# HELP'
  }
  for (const [name, text] of Object.entries(cases)) t.equal(repeatedValues(text, template), undefined, name)
})

t.test('only bodies of counters, gauges and untyped samples have a template', async t => {
  t.equal(textTemplate('# TYPE s summary\ns_sum 2\n', recordOf('# TYPE s summary\ns_sum 2\n'), parseText('# TYPE s summary\ns_sum 2\n')), undefined, 'no template to make')
  t.equal(templateOf('# TYPE s summary\ns{quantile="0.5"} 1\ns_sum 2\ns_count 3\n'), undefined)
  t.equal(templateOf('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 2\nh_count 1\n'), undefined)
  t.same(templateOf('# TYPE g gauge\n')?.families, [], 'no samples: a template of the text alone')
  t.same([...repeatedValues('# TYPE g gauge\n', templateOf('# TYPE g gauge\n') as TextTemplate) ?? [NaN]], [])
})

t.test('a template is only made when each value is found where its record says', async t => {
  const families = parseText('a 1\nb 2\n')
  t.ok(templateOf('a 1\nb 2\n', families))
  t.equal(templateOf('a 1\nb 2\n', families.slice(1)), undefined, 'a family missing')
  t.equal(templateOf('a 1\nb 2\n', [families[1] as MetricFamily, { ...families[0] as MetricFamily, metrics: [{ labels: [], value: 5 }] }]), undefined, 'another value')
  t.equal(templateOf('a 1\nb 2\n', [{ ...families[0] as MetricFamily, metrics: [] }, families[1] as MetricFamily]), undefined, 'no metric there')
})

t.test('bodies pushed alike share one template, which keeps nothing of the body', async t => {
  const first = templateOf('m{host="a-long-host-name-1"} 1\n')
  t.equal(templateOf('m{host="a-long-host-name-1"} 2\n'), first)
  t.not(templateOf('m{host="a-long-host-name-2"} 1\n'), first)
  // Past the templates remembered, the first is made afresh.
  for (let i = 0; i < 300; i++) templateOf(`m{i="${i}"} 1\n`)
  const again = templateOf('m{host="a-long-host-name-1"} 1\n')
  t.not(again, first)
  t.same(again, first)
  // Two bodies whose text between the values hashes alike (found by search) keep two templates.
  const one = templateOf('m{l="1cl"} 1\n')
  const other = templateOf('m{l="28nh0"} 1\n')
  t.not(one, other)
  t.equal(templateOf('m{l="1cl"} 2\n'), one)
  t.equal(templateOf('m{l="28nh0"} 2\n'), other)
  // And two with as many values as parts: one value against two.
  const two = templateOf('a{l="55a"} 1\nb 1\n')
  t.same(two?.families, ['a', 'b'])
  t.same(templateOf('m{l="5d6r"} 1\n')?.families, ['m'])
  t.equal(templateOf('a{l="55a"} 1\nb 1\n'), two)
  t.equal(textTemplate('m{l="1cl"} 1\n', recordOf('m{l="1cl"} 1\n'), parseText('m{l="1cl"} 1\n'))?.hash, textTemplate('m{l="28nh0"} 1\n', recordOf('m{l="28nh0"} 1\n'), parseText('m{l="28nh0"} 1\n'))?.hash)
})

t.test('a repeat is read exactly as the parser reads it', async t => {
  // Random bodies and random changes to them: whenever a change reads as a repeat, the parser
  // reads the same families with the values the repeat gave, where the template puts them.
  const VALUES = ['0', '1', '-2.5', '1e3', '+Inf', '-inf', 'NaN', 'nan', '.5', '5.', 'Infinity']
  const NOT_VALUES = ['1_0', '0x10', '', '1e', '--1', '3 ', '7\t', '1e400', '٣', '1\n2']
  const NAMES = ['a', 'b_total', 'c:d']
  const random = seeded(42)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
  let repeats = 0
  for (let trial = 0; trial < 2000; trial++) {
    let body = ''
    for (const name of NAMES) {
      if (random() < 0.5) body += `# HELP ${name} Help ${pick(['x', 'y \\n z', '} 1'])}\n`
      body += `# TYPE ${name} ${pick(['counter', 'gauge', 'untyped'])}\n`
      for (let i = 0; i < 1 + Math.floor(random() * 3); i++) {
        body += `${name}${pick(['', `{l="${i}"}`, `{l="${i} \\"}"}`, ` {l="${i}"}`])}${pick([' ', '\t', '  '])}${pick(['1', '2.5', '-3'])}\n`
      }
    }
    const template = templateOf(body)
    if (template === undefined) continue
    const parts = body.split(/(?<=[}a-z] *\t? *)(?:1|2\.5|-3)(?=\n)/)
    const changed = parts.map((part, i) => i === 0 ? part : pick(random() < 0.05 ? NOT_VALUES : VALUES) + (random() < 0.02 ? ' x' : '') + part).join('')
    const values = repeatedValues(changed, template)
    if (values === undefined) continue
    repeats++
    const expected = parseText(body)
    const byName = new Map(expected.map(family => [family.name, family]))
    values.forEach((value, k) => { (byName.get(template.families[k] as string)?.metrics[template.metrics[k] as number] ?? { value: 0 }).value = value })
    t.strictSame(parseText(changed), expected, changed)
  }
  t.ok(repeats > 100, `${repeats} repeats`)
})

// A small deterministic generator, so that a failure repeats.
function seeded (seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}
