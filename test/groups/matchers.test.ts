import t from 'tap'
import { ParseError } from '../../src/errors.js'
import { matchesAnySelector, matchesSelector, parseSelector } from '../../src/groups/matchers.js'
import { selectedGroups } from '../../src/http/delete-matching.js'

t.test('parses names, operators and values', async (t) => {
  const m = parseSelector(' { job = "backup" , instance=~"db.*", zone!=\'eu\', "odd.name"!~`x\\d`, } ')
  t.same(m.map(({ name, op, value }) => ({ name, op, value })), [
    { name: 'job', op: '=', value: 'backup' },
    { name: 'instance', op: '=~', value: 'db.*' },
    { name: 'zone', op: '!=', value: 'eu' },
    { name: 'odd.name', op: '!~', value: 'x\\d' }
  ])
})

t.test('Go escapes in double and single quotes', async (t) => {
  const [m] = parseSelector('{job="a\\"b\\\\c\\n\\t\\x41\\u00e9\\U0001F600\\\'"}')
  t.equal(m?.value, 'a"b\\c\n\tAé😀\'')
})

t.test('each operator', async (t) => {
  const labels = { job: 'backup', instance: 'db1' }
  const sel = (s: string): boolean => matchesSelector(labels, parseSelector(s))
  t.ok(sel('{job="backup"}'))
  t.notOk(sel('{job="back"}'))
  t.ok(sel('{instance="db1",job!="other"}'))
  t.notOk(sel('{instance="db1",job!="backup"}'))
  t.ok(sel('{instance=~"db.*"}'))
  t.notOk(sel('{instance=~"db"}'), 'regexes are anchored at both ends')
  t.notOk(sel('{instance=~"b1"}'), 'anchored at the start')
  t.ok(sel('{job="backup",instance!~"web.*"}'))
  t.notOk(sel('{job="backup",instance!~"db.*"}'))
  t.ok(sel('{job="backup",instance=~"db1|db2"}'))
  t.notOk(sel('{job="backup",instance="db2"}'), 'all matchers of a selector must hold')
  t.ok(sel('{job="backup",zone=""}'), 'a missing label is the empty value')
  t.notOk(sel('{job="backup",zone!=""}'))
  t.ok(matchesSelector({ job: 'a\nb' }, parseSelector('{job=~"a.b"}')), 'dot matches a newline')
  t.notOk(matchesSelector({ toString: 'x' }, parseSelector('{job="x"}')), 'inherited names are not labels')
})

t.test('several selectors are a union; groups include their job', async (t) => {
  const sels = [parseSelector('{job="a"}'), parseSelector('{instance="i"}')]
  t.ok(matchesAnySelector({ job: 'a' }, sels))
  t.ok(matchesAnySelector({ job: 'b', instance: 'i' }, sels))
  t.notOk(matchesAnySelector({ job: 'b' }, sels))
  const groups = [{ labels: { job: 'a' } }, { labels: { job: 'b', instance: 'i' } }, { labels: { job: 'b' } }, { labels: { job: 'c', instance: 'j' } }]
  t.same(selectedGroups(groups, sels), [{ labels: { job: 'a' } }, { labels: { job: 'b', instance: 'i' } }], 'the groups either selector selects, job included')
})

t.test('refusals name the problem', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /expected "\{" at offset 0/],
    ['job="a"', /expected "\{"/],
    ['{job="a"', /expected "," or "\}" at offset 8/],
    ['{job="a" x="b"}', /expected "," or "\}"/],
    ['{job="a"} x', /unexpected text after "\}"/],
    ['{1job="a"}', /expected a label name at offset 1/],
    ['{=""}', /expected a label name/],
    ['{""="a"}', /empty label name/],
    ['{job=="a"}', /expected a quoted value/],
    ['{job>"a"}', /expected one of =, !=, =~, !~/],
    ['{job=a}', /expected a quoted value/],
    ['{job="a}', /unterminated string at offset 5/],
    ['{job="a\n"}', /unterminated string/],
    ['{job="\\q"}', /invalid escape/],
    ['{job="\\x4"}', /invalid escape/],
    ['{job="\\UFFFFFFFF"}', /invalid escape/],
    ['{job="\\ud800"}', /invalid escape/],
    ['{job="\\', /invalid escape/],
    ['{job=~"("}', /invalid regular expression/],
    ['{job=~"a(?=b)"}', /lookaround or backreferences/],
    ['{job=~"(a)\\\\1"}', /lookaround or backreferences/],
    ['{}', /at least one matcher that does not match the empty value/],
    ['{job=~".*"}', /at least one matcher/],
    ['{job!="a"}', /at least one matcher/],
    ['{job=""}', /at least one matcher/]
  ]
  for (const [text, message] of cases) {
    t.throws(() => parseSelector(text), message, JSON.stringify(text))
    try {
      parseSelector(text)
    } catch (error) {
      t.ok(error instanceof ParseError && error.statusCode === 400, `${JSON.stringify(text)} is a 400 ParseError`)
    }
  }
})

t.test('backquotes are raw and may span lines', async (t) => {
  const [m] = parseSelector('{job=`a\\n\nb`}')
  t.equal(m?.value, 'a\\n\nb')
})
