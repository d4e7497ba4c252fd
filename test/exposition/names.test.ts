import t from 'tap'
import { ESCAPING_SCHEMES, escapeName, escapedNames, exposedName, isEscapingScheme, isLegacyLabelName, isLegacyMetricName, isValidLabelName, isValidMetricName, unescapeValuesName } from '../../src/exposition/names.js'

t.test('legacy names', async t => {
  const cases: Array<[string, boolean, boolean]> = [
    // name, valid metric name, valid label name
    ['a', true, true],
    ['_a1', true, true],
    ['Zz_9', true, true],
    ['a:b', true, false],
    [':a', true, false],
    ['1a', false, false],
    ['', false, false],
    ['a-b', false, false],
    ['a.b', false, false],
    ['é', false, false],
    ['a b', false, false]
  ]
  for (const [name, metric, label] of cases) {
    t.equal(isLegacyMetricName(name), metric, `metric ${JSON.stringify(name)}`)
    t.equal(isLegacyLabelName(name), label, `label ${JSON.stringify(name)}`)
  }
})

t.test('validation modes (prometheus/common TestValidationScheme_IsMetricNameValid)', async t => {
  const cases: Array<[string, boolean, boolean]> = [
    // name, legacy-valid, utf8-valid
    ['Avalid_23name', true, true],
    ['_Avalid_23name', true, true],
    ['1valid_23name', false, true],
    ['avalid_23name', true, true],
    ['Ava:lid_23name', true, true],
    ['a lid_23name', false, true],
    [':leading_colon', true, true],
    ['colon:in:the:middle', true, true],
    ['', false, false],
    // upstream's "a\xc5z" (invalid UTF-8) is, in a JavaScript string, a lone surrogate
    ['a\ud800z', false, false],
    ['a\udc00z', false, false],
    ['a😱z', false, true]
  ]
  for (const [name, legacy, utf8] of cases) {
    t.equal(isValidMetricName(name), legacy, `legacy default ${JSON.stringify(name)}`)
    t.equal(isValidMetricName(name, 'legacy'), legacy, `legacy ${JSON.stringify(name)}`)
    t.equal(isValidMetricName(name, 'utf8'), utf8, `utf8 ${JSON.stringify(name)}`)
  }
  t.equal(isValidLabelName('a:b'), false)
  t.equal(isValidLabelName('a:b', 'legacy'), false)
  t.equal(isValidLabelName('a:b', 'utf8'), true)
  t.equal(isValidLabelName('my.label', 'utf8'), true)
  t.equal(isValidLabelName('', 'utf8'), false)
  t.equal(isValidLabelName('\udfff', 'utf8'), false)
})

t.test('escaping schemes', async t => {
  t.same(ESCAPING_SCHEMES, ['allow-utf-8', 'underscores', 'dots', 'values'])
  for (const s of ESCAPING_SCHEMES) t.ok(isEscapingScheme(s), s)
  t.notOk(isEscapingScheme('underscore'))
  t.notOk(isEscapingScheme(''))
})

t.test('escapeName and unescapeValuesName (prometheus/common TestEscapeName)', async t => {
  // input, underscores, dots, values
  const cases: Array<[string, string, string, string]> = [
    ['', '', '', ''],
    ['no:escaping_required', 'no:escaping_required', 'no:escaping__required', 'no:escaping_required'],
    ['mysystem.prod.west.cpu.load', 'mysystem_prod_west_cpu_load', 'mysystem_dot_prod_dot_west_dot_cpu_dot_load', 'U__mysystem_2e_prod_2e_west_2e_cpu_2e_load'],
    ['mysystem.prod.west.cpu.load_total', 'mysystem_prod_west_cpu_load_total', 'mysystem_dot_prod_dot_west_dot_cpu_dot_load__total', 'U__mysystem_2e_prod_2e_west_2e_cpu_2e_load__total'],
    ['http.status:sum', 'http_status:sum', 'http_dot_status:sum', 'U__http_2e_status:sum'],
    ['label with 😱', 'label_with__', 'label__with____', 'U__label_20_with_20__1f631_'],
    ['花火', '__', '____', 'U___82b1__706b_'],
    ['label with \u0100', 'label_with__', 'label__with____', 'U__label_20_with_20__100_'],
    // ours: a leading digit is escaped, a later one kept; a lone surrogate stands for U+FFFD
    ['1a1', '_a1', '__a1', 'U___31_a1'],
    ['a\ud800', 'a_', 'a__', 'U__a_fffd_']
  ]
  for (const [input, underscores, dots, values] of cases) {
    const n = JSON.stringify(input)
    t.equal(escapeName(input, 'allow-utf-8'), input, `allow-utf-8 ${n}`)
    t.equal(escapeName(input, 'underscores'), underscores, `underscores ${n}`)
    t.equal(escapeName(input, 'dots'), dots, `dots ${n}`)
    t.equal(escapeName(input, 'values'), values, `values ${n}`)
    if (!input.includes('\ud800')) t.equal(unescapeValuesName(values), input, `round trip ${n}`)
    const kept = isLegacyMetricName(input)
    t.same(escapedNames(input), { 'allow-utf-8': input, underscores, dots: kept ? input : dots, values }, `escapedNames ${n}`)
    t.equal(exposedName(input, 'dots'), kept ? input : dots, `exposedName ${n}`)
  }
})

t.test('unescapeValuesName refusals (prometheus/common TestValueUnescapeErrors)', async t => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['U__no:unescapingrequired', 'no:unescapingrequired'],
    ['U__capitals_2E_ok', 'capitals.ok'],
    ['U__underscores__doubled__', 'underscores_doubled_'],
    ['U__underscores_doubled_', 'U__underscores_doubled_'],
    ['U__underscores__doubled_', 'U__underscores__doubled_'],
    ['U__my__hack_2e_attempt_872348732fabdabbab_', 'U__my__hack_2e_attempt_872348732fabdabbab_'],
    ['U__my__hack_2e', 'U__my__hack_2e'],
    ['U__bad__utf_2eg_', 'U__bad__utf_2eg_'],
    ['U__bad__utf_D900_', 'U__bad__utf_D900_'],
    // ours: no prefix, six digits at most, the largest code point, beyond it
    ['my_2e_label', 'my_2e_label'],
    ['U__a_01f631_', 'a😱'],
    ['U__a_0001f631_', 'U__a_0001f631_'],
    ['U__a_10ffff_', 'a\u{10ffff}'],
    ['U__a_110000_', 'U__a_110000_'],
    ['U__', '']
  ]
  for (const [input, expected] of cases) t.equal(unescapeValuesName(input), expected, JSON.stringify(input))
})

t.test('escapedNames answers the collision question', async t => {
  const a = escapedNames('my.metric')
  const b = escapedNames('my_metric')
  t.not(a['allow-utf-8'], b['allow-utf-8'])
  t.equal(a.underscores, b.underscores, 'collide when escaped with underscores')
  t.not(a.dots, b.dots)
  t.not(a.values, b.values)
  t.equal(escapedNames('my_dot_metric').dots, a.dots, 'a legacy name is kept under dots, and can collide there')
  t.equal(escapedNames('U__my_2e_metric').values, a.values, 'and under values')
  t.equal(exposedName('a.b', 'allow-utf-8'), 'a.b')
})
