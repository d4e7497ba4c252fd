import t from 'tap'
import { InvalidGroupingKeyError } from '../../src/errors.js'
import {
  groupingKeyToPath,
  parseGroupingPath
} from '../../src/groups/grouping-key.js'
import type { GroupingKey } from '../../src/groups/grouping-key.js'

function key (job: string, labels: Record<string, string> = {}): GroupingKey {
  return { job, labels }
}

// Paths as the handler sees them, that is after `/metrics`.
const VALID: Array<[string, string, GroupingKey]> = [
  // Spec 13, URL items 1-5 and 8.
  ['item 1: a plain job', '/job/a', key('a')],
  ['item 2: a base64 job', '/job@base64/YS9i', key('a/b')],
  ['item 2: a base64 job with one =', '/job@base64/YS9i=', key('a/b')],
  ['item 2: a base64 job with two =', '/job@base64/YS9i==', key('a/b')],
  ['item 3: a base64 value with slashes', '/job/a/p@base64/L3Zhci90bXA', key('a', { p: '/var/tmp' })],
  ['item 4: an empty base64 value in the middle', '/job/a/e@base64/=/x/y', key('a', { e: '', x: 'y' })],
  ['item 4: a trailing empty value', '/job/a/e/', key('a', { e: '' })],
  ['item 5: the last duplicate wins', '/job/a/x/1/x/2', key('a', { x: '2' })],
  ['item 5: a job label is ignored', '/job/a/job/b', key('a')],
  ['item 8: + stays, %20 is a space', '/job/a/v/b+c%20d', key('a', { v: 'b+c d' })],
  // Spec 2.1 - 2.5.
  ['a trailing slash after the job', '/job/foo/', key('foo')],
  ['a trailing empty value (j3)', '/job/j3/a/', key('j3', { a: '' })],
  ['a trailing empty value after a pair', '/job/foo/a/b/c/', key('foo', { a: 'b', c: '' })],
  ['a trailing empty base64 value', '/job/x/instance@base64/', key('x', { instance: '' })],
  ['the README empty value example', '/job/example/first_label@base64/=/second_label/foobar', key('example', { first_label: '', second_label: 'foobar' })],
  ['the Go test base64 job', '/job@base64/dGVzdC9qb2I=', key('test/job')],
  ['an over-padded base64 value', '/job/j/a@base64/bGFiZWwvdmFsdWUy==', key('j', { a: 'label/value2' })],
  ['the directory cleaner example', '/job/directory_cleaner/path@base64/L3Zhci90bXA', key('directory_cleaner', { path: '/var/tmp' })],
  ['duplicates in the last-wins example', '/job/j5/a/1/a/2', key('j5', { a: '2' })],
  ['a job label in the j6 example', '/job/j6/job/other', key('j6')],
  ['a base64 job label is decoded, then ignored', '/job/j6/job@base64/b3RoZXI', key('j6')],
  ['%2F is a slash in the value (Go makes other labels of it)', '/job/j/a/x%2Fy%2Fz', key('j', { a: 'x/y/z' })],
  ['a leading %2F (Go redirects, or gives an empty value since Go 1.22)', '/job/j4/a/%2Fvar%2Ftmp', key('j4', { a: '/var/tmp' })],
  ['%2F in the job', '/job/a%2Fb', key('a/b', {})],
  ['%2f in lower case', '/job/j/a/x%2fy', key('j', { a: 'x/y' })],
  ['an escaped job segment', '/jo%62/j/a/1', key('j', { a: '1' })],
  ['an empty segment in the middle is an empty value', '/job/j/a//b/c', key('j', { a: '', b: 'c' })],
  ['escapes in the job and the names', '/job/f%6Fo/inst%61nce/x', key('foo', { instance: 'x' })],
  ['an escaped @ in job@base64', '/job%40base64/YS9i', key('a/b')],
  ['a legacy name that looks UTF-8 escaped', '/job/j/U__label_2e_name2/v', key('j', { U__label_2e_name2: 'v' })],
  ['a name with an underscore and digits', '/job/j/_a1/v', key('j', { _a1: 'v' })],
  ['UTF-8 in values, escaped or not', '/job/Bj%C3%B6rn/a/%E2%82%AC/b@base64/8J-YgA', key('Björn', { a: '€', b: '😀' })],
  ['a well-formed surrogate pair', '/job/j/a/😀', key('j', { a: '😀' })],
  ['base64 with a newline (skipped, like Go)', '/job/j/a@base64/YS%0A9i', key('j', { a: 'a/b' })],
  ['names that are Object.prototype properties', '/job/j/constructor/1/toString/2', key('j', { constructor: '1', toString: '2' })]
]

// Byte-exact messages (the Go gateway sends them followed by a newline).
const INVALID: Array<[string, string, string]> = [
  // Spec 2.1 "Real response bodies" and spec 13 item 6.
  ['a=b is not a label name', '/job/j/a=b/1', 'improper label name "a=b"'],
  ['__ is reserved', '/job/j/__a/1', 'improper label name "__a"'],
  ['a name cannot start with a digit', '/job/j9/1a/b', 'improper label name "1a"'],
  ['odd components', '/job/j/a/1/b', 'odd number of components in label string "/a/1/b"'],
  ['bad base64 in a value', '/job/j/a@base64/foo.bar', 'invalid base64 encoding for label a="foo.bar": illegal base64 data at input byte 3'],
  ['bad base64 in the job', '/job@base64/foo.bar', 'invalid base64 encoding in job name "": illegal base64 data at input byte 3'],
  ['a job of only =', '/job@base64/=', 'job name is required'],
  // Spec 13 item 7, without the Go redirects.
  ['an empty job', '/job/', 'job name is required'],
  ['an empty job before labels', '/job//a/b', 'job name is required'],
  ['an empty segment in the middle', '/job/a//b', 'improper label name ""'],
  ['an empty base64 job segment', '/job@base64/', 'job name is required'],
  // Spec 2.1 - 2.5.
  ['only one @base64 is stripped', '/job/j/a@base64@base64/x', 'improper label name "a@base64"'],
  ['__ after stripping @base64', '/job/j/__a@base64/x', 'improper label name "__a"'],
  ['a bare @base64 name', '/job/j/@base64/x', 'improper label name ""'],
  ['a non-ASCII name', '/job/j/f%C3%B6o/x', 'improper label name "föo"'],
  ['a control character in a name', '/job/j/a%0A/x', 'improper label name "a\\n"'],
  ['a slash in a value through %2F still counts one component', '/job/j/a/x%2Fy/b', 'odd number of components in label string "/a/x/y/b"'],
  ['a path that stops at job', '/job', 'grouping key path must start with /job/'],
  ['odd components are quoted like Go %q', '/job/j/a/b/%22c%0A', 'odd number of components in label string "/a/b/\\"c\\n"'],
  ['odd components before bad names', '/job/j/__a/1/b', 'odd number of components in label string "/__a/1/b"'],
  ['the value is quoted like Go %q', '/job/j/a@base64/%22%0A', 'invalid base64 encoding for label a="\\"\\n": illegal base64 data at input byte 0'],
  ['length 1 mod 4 in a value', '/job/j/a@base64/QUJDR', 'invalid base64 encoding for label a="QUJDR": illegal base64 data at input byte 4'],
  ['+ is not URL-safe base64', '/job/j/a@base64/a+b', 'invalid base64 encoding for label a="a+b": illegal base64 data at input byte 1'],
  ['= in the middle', '/job/j/a@base64/QUJD=QUJD', 'invalid base64 encoding for label a="QUJD=QUJD": illegal base64 data at input byte 4'],
  ['the job prints the decoded prefix', '/job@base64/QUJDRA.x', 'invalid base64 encoding in job name "ABC": illegal base64 data at input byte 6'],
  ['a job error comes before label errors', '/job@base64/foo.bar/__a/1', 'invalid base64 encoding in job name "": illegal base64 data at input byte 3'],
  ['label errors come before the empty job', '/job@base64/=/__a/1', 'improper label name "__a"'],
  // Percent-decoding, like Go's url.PathUnescape.
  ['a bad escape', '/job/j/a/%zz', 'invalid URL escape "%zz"'],
  ['a truncated escape', '/job/j/a/%2', 'invalid URL escape "%2"'],
  ['a lone %', '/job/j/a/%', 'invalid URL escape "%"'],
  ['%% quotes three bytes', '/job/j/a/%%41', 'invalid URL escape "%%4"'],
  ['the first bad escape counts', '/job/j/%41/%zz/%yy', 'invalid URL escape "%zz"'],
  ['a bad escape cutting a UTF-8 sequence', '/job/j/a/%aé', 'invalid URL escape "%a\\xc3"'],
  ['a bad escape cutting a surrogate pair', '/job/j/a/%a😀', 'invalid URL escape "%a\\xf0"'],
  // Deliberate differences: invalid UTF-8 never enters the store.
  ['an escape that is not UTF-8', '/job/j/a/%FF', 'grouping key is not valid UTF-8'],
  ['a truncated UTF-8 escape', '/job/j/a/%E2%82', 'grouping key is not valid UTF-8'],
  ['an escaped surrogate', '/job/j/a/%ED%A0%80', 'grouping key is not valid UTF-8'],
  ['a lone high surrogate', '/job/j/a/\uD800', 'grouping key is not valid UTF-8'],
  ['a lone low surrogate', '/job/j/a/x\uDC00', 'grouping key is not valid UTF-8'],
  ['a base64 value that is not UTF-8', '/job/j/a@base64/____', 'grouping key is not valid UTF-8'],
  ['a base64 job that is not UTF-8', '/job@base64/____', 'grouping key is not valid UTF-8'],
  // Not a push path at all.
  ['no job segment', '/job', 'grouping key path must start with /job/'],
  ['an empty path', '', 'grouping key path must start with /job/'],
  ['another path', '/jobs/x', 'grouping key path must start with /job/'],
  ['a bare job@base64', '/job@base64', 'grouping key path must start with /job/']
]

// Job names whose base64 decodes to a prefix with invalid UTF-8, as Go 1.19's %q prints them.
const JOB_PREFIXES: Array<[string, string]> = [
  ['YcOp.', '"aé": illegal base64 data at input byte 4'],
  ['_woB.', '"\\xff\\n\\x01": illegal base64 data at input byte 4'],
  ['4KCA_0JC.', '"\u0800\\xffBB": illegal base64 data at input byte 8'],
  ['4ICA.', '"\\xe0\\x80\\x80": illegal base64 data at input byte 4'],
  ['7aCA.', '"\\xed\\xa0\\x80": illegal base64 data at input byte 4'],
  ['7Z-__0JC.', '"\\ud7ff\\xffBB": illegal base64 data at input byte 8'],
  ['8JCAgP9C.', '"\u{10000}\\xffB": illegal base64 data at input byte 8'],
  ['8ICAgEJC.', '"\\xf0\\x80\\x80\\x80BB": illegal base64 data at input byte 8'],
  ['9I-_v_9C.', '"\\U0010ffff\\xffB": illegal base64 data at input byte 8'],
  ['9JCAgEJC.', '"\\xf4\\x90\\x80\\x80BB": illegal base64 data at input byte 8'],
  ['QUHD.', '"AA\\xc3": illegal base64 data at input byte 4'],
  ['QeKC.', '"A\\xe2\\x82": illegal base64 data at input byte 4'],
  ['4oJB.', '"\\xe2\\x82A": illegal base64 data at input byte 4'],
  ['wK9C.', '"\\xc0\\xafB": illegal base64 data at input byte 4'],
  ['wUJC.', '"\\xc1BB": illegal base64 data at input byte 4'],
  ['9UJC.', '"\\xf5BB": illegal base64 data at input byte 4'],
  ['wyhC.', '"\\xc3(B": illegal base64 data at input byte 4'],
  ['8J-YgIBC.', '"😀\\x80B": illegal base64 data at input byte 8'],
  ['8J-YQUJC.', '"\\xf0\\x9f\\x98ABB": illegal base64 data at input byte 8'],
  ['4oKs_0JC.', '"€\\xffBB": illegal base64 data at input byte 8'],
  ['_____.', '"\\xff\\xff\\xff": illegal base64 data at input byte 5']
]

t.test('parseGroupingPath', async t => {
  t.test('accepts', async t => {
    for (const [name, path, expected] of VALID) {
      t.strictSame(parseGroupingPath(path), expected, `${name}: ${path}`)
    }
  })

  t.test('rejects with the Go message', async t => {
    for (const [name, path, message] of INVALID) {
      t.throws(() => parseGroupingPath(path), { name: 'InvalidGroupingKeyError', message, statusCode: 400, code: 'ERR_INVALID_GROUPING_KEY' }, `${name}: ${path}`)
    }
  })

  t.test('prints the decoded job prefix like Go %q, invalid bytes as \\x', async t => {
    for (const [job, message] of JOB_PREFIXES) {
      t.throws(() => parseGroupingPath(`/job@base64/${job}`), { message: `invalid base64 encoding in job name ${message}` }, job)
    }
  })

  t.test('throws an InvalidGroupingKeyError that may be shown to the client', async t => {
    try {
      parseGroupingPath('/job/j/a/1/b')
      t.fail('should throw')
    } catch (err) {
      t.ok(err instanceof InvalidGroupingKeyError)
      t.equal((err as InvalidGroupingKeyError).expose, true)
    }
  })

  t.test('returns labels without job', async t => {
    const parsed = parseGroupingPath('/job/j/job/x/a/1')
    t.strictSame(Object.keys(parsed.labels), ['a'])
  })
})

t.test('groupingKeyToPath', async t => {
  t.equal(groupingKeyToPath({ job: 'only' }), '/job/only', 'labels are optional')
  const CASES: Array<[GroupingKey, string]> = [
    [key('a'), '/job/a'],
    [key('a/b'), '/job@base64/YS9i'],
    [key(''), '/job@base64/='],
    [key('.'), '/job@base64/Lg'],
    [key('a', { p: '/var/tmp' }), '/job/a/p@base64/L3Zhci90bXA'],
    [key('a', { x: 'y', e: '' }), '/job/a/e@base64/=/x/y'],
    [key('a', { v: 'b+c d', w: '..' }), '/job/a/v/b%2Bc%20d/w@base64/Li4'],
    [key('Björn', { instance: 'x?#%' }), '/job/Bj%C3%B6rn/instance/x%3F%23%25'],
    [key('j', { job: 'ignored', a: '1' }), '/job/j/a/1']
  ]
  for (const [input, path] of CASES) {
    t.test(`builds ${path}`, async t => {
      t.equal(groupingKeyToPath(input), path)
    })
  }

  t.test('round-trips through parseGroupingPath', async t => {
    const keys = [
      key('a'),
      key('a/b', { c: '', d: 'e/f', g: 'h i+j', h: '.', i: '..', j: '%2F', k: 'Björn 😀' }),
      key('..', { instance: '' })
    ]
    for (const k of keys) t.strictSame(parseGroupingPath(groupingKeyToPath(k)), k, groupingKeyToPath(k))
  })
})

t.test('parseGroupingPath with UTF-8 names (pushgateway TestSplitLabelsUTF8)', async t => {
  t.strictSame(parseGroupingPath('/job/j/label_name1/label_value1/U__label_2e_name2/label_value2', [], 'utf8').labels, { label_name1: 'label_value1', 'label.name2': 'label_value2' })
  t.strictSame(parseGroupingPath('/job/j/label_name1@base64/bGFiZWwvdmFsdWUx/U__label_2e_name2@base64/bGFiZWwvdmFsdWUy', [], 'utf8').labels, { label_name1: 'label/value1', 'label.name2': 'label/value2' })
  t.strictSame(parseGroupingPath('/job/j/my.label/v/%C3%A9/w', [], 'utf8').labels, { 'my.label': 'v', é: 'w' }, 'names as they are')
  t.strictSame(parseGroupingPath('/job/j/U__label_2e_name2/v').labels, { U__label_2e_name2: 'v' }, 'legacy validation keeps U__ names verbatim')
  t.strictSame(parseGroupingPath('/job/j/U__job/x', [], 'utf8'), { job: 'j', labels: {} }, 'the job segment wins over an escaped job label')
  t.strictSame(parseGroupingPath('/job/j/U__a_zz_/x', [], 'utf8').labels, { U__a_zz_: 'x' }, 'a malformed escape is kept as written')
  t.throws(() => parseGroupingPath('/job/j/my.label/v'), { message: 'improper label name "my.label"' })
  t.throws(() => parseGroupingPath('/job/j/__x/v', [], 'utf8'), { message: 'improper label name "__x"' }, 'a leading __ as written')
})
