import { ParseError } from '../errors.js'
import { isDuplicateName } from './names.js'
import { goQuote } from './go-quote.js'
import type { Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType } from './types.js'
import { emptyHistogram } from './types.js'
import type { ParseBudget, SlicedParser } from './parse.js'

type OmType = 'counter' | 'gauge' | 'histogram' | 'gaugehistogram' | 'summary' | 'info' | 'stateset' | 'unknown'

// What a sample is within its family, decided by the suffix of its name.
const VALUE = 0
const TOTAL = 1
const CREATED = 2
const COUNT = 3
const SUM = 4
const BUCKET = 5
const GCOUNT = 6
const GSUM = 7
const INFO = 8

type Suffixes = ReadonlyArray<readonly [suffix: string, role: number]>

const SUFFIXES: Readonly<Record<OmType, Suffixes>> = {
  counter: [['_total', TOTAL], ['_created', CREATED]],
  gauge: [['', VALUE]],
  stateset: [['', VALUE]],
  unknown: [['', VALUE]],
  info: [['_info', INFO]],
  summary: [['', VALUE], ['_count', COUNT], ['_sum', SUM], ['_created', CREATED]],
  histogram: [['_bucket', BUCKET], ['_count', COUNT], ['_sum', SUM], ['_created', CREATED]],
  gaugehistogram: [['_bucket', BUCKET], ['_gcount', GCOUNT], ['_gsum', GSUM]]
}

const MODEL_TYPE: Readonly<Record<OmType, MetricType>> = {
  counter: 'counter',
  gauge: 'gauge',
  stateset: 'gauge',
  unknown: 'untyped',
  info: 'gauge',
  summary: 'summary',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram'
}

const MODEL_SUFFIX: Readonly<Record<OmType, string>> = {
  counter: '_total',
  gauge: '',
  stateset: '',
  unknown: '',
  info: '_info',
  summary: '',
  histogram: '',
  gaugehistogram: ''
}

const OM_TYPES = Object.keys(SUFFIXES) as OmType[]

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i)

// The combined length of an exemplar's label names and values, in code points.
const EXEMPLAR_LABELS_MAX = 128

const LF = 10
const SPACE = 32
const QUOTE = 34
const HASH = 35
const PLUS = 43
const COMMA = 44
const MINUS = 45
const DOT = 46
const COLON = 58
const EQUALS = 61
const BACKSLASH = 92
const UNDERSCORE = 95
const LEFT_BRACE = 123
const RIGHT_BRACE = 125

/**
 * Parses an OpenMetrics 1.0 text body into the shared model, validating it as strictly as the
 * OpenMetrics parser test corpus demands, and throws a `ParseError` naming the line on the first
 * problem. Counters become families named `<name>_total`, info families `<name>_info` gauges,
 * statesets gauges (one metric per state), `unknown` becomes `untyped`; timestamps, given in
 * seconds, become milliseconds. Families without samples are left out, as the text 0.0.4 parser
 * does.
 */
export function parseOpenMetrics (text: string, budget?: ParseBudget): MetricFamily[] {
  const parser = new OpenMetricsParser(text, budget)
  parser.parseSlice(Infinity)
  return parser.result()
}

/** An OpenMetrics parser that works through `text` in slices, as `parseOpenMetrics` parses it at once. */
export function openMetricsParser (text: string, budget?: ParseBudget): SlicedParser {
  return new OpenMetricsParser(text, budget)
}

class OpenMetricsParser implements SlicedParser {
  private readonly text: string
  private readonly budget: ParseBudget | undefined
  private metricsLeft: number
  // A histogram's `le` and a summary's `quantile` are among a sample's labels until taken out.
  private readonly labelsMax: number
  // Where the next line starts.
  private start = 0
  private readonly families: MetricFamily[] = []
  // Every sample name a family may produce, mapped to that family, for the clash rule.
  private readonly claimed = new Map<string, string>()

  private line = 0
  private pos = 0
  private lineEnd = 0
  private eof = false

  private name: string | undefined
  private type: OmType = 'unknown'
  private suffixes: Suffixes = SUFFIXES.unknown
  private typeSeen = false
  private help: string | undefined
  private helpSeen = false
  private unit: string | undefined
  private unitSeen = false
  private out: MetricFamily | undefined
  private groups = new Set<string>()
  // The label set of the previous sample, and a number that changes with it.
  private prevLabels: LabelPair[] | undefined
  private prevTs: number | undefined
  private group = 0

  private previousLabels: LabelPair[] = []
  private point: Metric | undefined
  private pointGroup = 0
  private pointTs: number | undefined
  private pointRoles = 0
  private pointLine = 0
  private pointNegative = false

  constructor (text: string, budget: ParseBudget | undefined) {
    this.text = text
    this.budget = budget
    this.metricsLeft = budget?.metrics ?? Infinity
    this.labelsMax = (budget?.labels ?? Infinity) + 1
  }

  parseSlice (size: number): boolean {
    const text = this.text
    const length = text.length
    const until = Math.min(this.start + size, length)
    let start = this.start
    while (start < until) {
      this.line++
      let end = text.indexOf('\n', start)
      if (end === -1) end = length
      if (this.eof) this.fail('unexpected text after "# EOF"')
      if (end === start) this.fail('blank lines are not allowed')
      this.pos = start
      this.lineEnd = end
      if (text.charCodeAt(start) === HASH) {
        this.parseDescriptor()
      } else {
        this.parseSample()
      }
      start = end + 1
    }
    this.start = start
    return start >= length
  }

  result (): MetricFamily[] {
    if (!this.eof) {
      this.line++
      this.fail('missing "# EOF" at the end')
    }
    return this.families
  }

  private refuse (bound: 'metrics' | 'labels'): never {
    throw (this.budget as ParseBudget).refuse(bound, this.name)
  }

  private fail (message: string): never {
    throw new ParseError(`openmetrics parsing error in line ${this.line}: ${message}`)
  }

  private failAt (line: number, message: string): never {
    this.line = line
    this.fail(message)
  }

  private code (): number {
    return this.pos < this.lineEnd ? this.text.charCodeAt(this.pos) : LF
  }

  /** Parses `# TYPE`, `# HELP`, `# UNIT` or `# EOF`; any other line starting with `#` is an error. */
  private parseDescriptor (): void {
    const text = this.text
    const start = this.pos
    if (this.lineEnd - start === 5 && text.startsWith('# EOF', start)) {
      this.finishPoint()
      this.eof = true
      return
    }
    let keyword = ''
    if (text.startsWith('# TYPE', start)) keyword = 'TYPE'
    else if (text.startsWith('# HELP', start)) keyword = 'HELP'
    else if (text.startsWith('# UNIT', start)) keyword = 'UNIT'
    else this.fail('comments are not allowed, a line starting with "#" must be "# TYPE", "# HELP", "# UNIT" or "# EOF"')
    this.pos = start + 6
    if (this.code() !== SPACE) this.fail(`expected a space and a metric name after "# ${keyword}"`)
    this.pos++
    const nameStart = this.pos
    this.skipMetricName()
    if (this.pos === nameStart) this.fail(`invalid metric name in ${keyword} line`)
    const nameEnd = this.pos
    if (this.code() !== SPACE) {
      if (this.pos === this.lineEnd) this.fail(`missing ${keyword === 'TYPE' ? 'metric type' : keyword === 'HELP' ? 'help text' : 'unit'} in ${keyword} line`)
      this.fail(`invalid metric name in ${keyword} line`)
    }
    const rest = this.pos + 1
    if (this.isCurrentFamily(nameStart, nameEnd)) {
      if (this.out !== undefined) {
        this.fail(`${keyword} line for metric family ${this.quotedName()} after its samples`)
      }
    } else {
      this.startFamily(text.slice(nameStart, nameEnd))
    }
    if (keyword === 'TYPE') this.setType(rest)
    else if (keyword === 'HELP') this.setHelp(rest)
    else this.setUnit(rest)
  }

  private isCurrentFamily (nameStart: number, nameEnd: number): boolean {
    const name = this.name
    return name !== undefined && nameEnd - nameStart === name.length && this.text.startsWith(name, nameStart)
  }

  private setType (start: number): void {
    if (this.typeSeen) this.fail(`second TYPE line for metric family ${this.quotedName()}`)
    const value = this.text.slice(start, this.lineEnd)
    const type = OM_TYPES.find(t => t === value)
    if (type === undefined) this.fail(`invalid metric type ${goQuote(value)}`)
    this.typeSeen = true
    this.type = type
    this.suffixes = SUFFIXES[type]
    this.checkUnitAllowed()
    const name = this.name as string
    for (const [suffix] of SUFFIXES[type]) {
      if (suffix !== '') this.claim(name + suffix, name)
    }
  }

  private setHelp (start: number): void {
    if (this.helpSeen) this.fail(`second HELP line for metric family ${this.quotedName()}`)
    this.helpSeen = true
    // An empty HELP counts as no HELP line, per the specification.
    if (start < this.lineEnd) this.help = unescape(this.text, start, this.lineEnd)
  }

  private setUnit (start: number): void {
    const name = this.name as string
    if (this.unitSeen) this.fail(`second UNIT line for metric family ${goQuote(name)}`)
    this.unitSeen = true
    this.pos = start
    while (this.pos < this.lineEnd && isNameChar(this.text.charCodeAt(this.pos))) this.pos++
    if (this.pos !== this.lineEnd) this.fail(`invalid unit ${goQuote(this.text.slice(start, this.lineEnd))}`)
    // An empty UNIT counts as no UNIT line, per the specification.
    if (start === this.lineEnd) return
    const unit = this.text.slice(start, this.lineEnd)
    if (!name.endsWith('_' + unit)) {
      this.fail(`unit ${goQuote(unit)} is not a suffix of metric family name ${goQuote(name)}`)
    }
    this.unit = unit
    this.checkUnitAllowed()
  }

  private checkUnitAllowed (): void {
    if (this.unit !== undefined && (this.type === 'info' || this.type === 'stateset')) {
      this.fail(`metric family ${this.quotedName()} of type ${this.type} must not have a unit`)
    }
  }

  /** Reserves a sample name for a family; no two families may produce the same sample name. */
  private claim (sampleName: string, familyName: string): void {
    const owner = this.claimed.get(sampleName)
    if (owner !== undefined) {
      const family = goQuote(familyName)
      if (sampleName !== familyName) {
        this.fail(`sample name ${goQuote(sampleName)} of metric family ${family} clashes with metric family ${goQuote(owner)}`)
      }
      if (owner === familyName) this.fail(`metric family ${family} appears twice, metric families must not be interleaved`)
      this.fail(`metric family ${family} clashes with a sample name of metric family ${goQuote(owner)}`)
    }
    this.claimed.set(sampleName, familyName)
  }

  private startFamily (name: string): void {
    this.finishPoint()
    this.claim(name, name)
    this.name = name
    this.type = 'unknown'
    this.suffixes = SUFFIXES.unknown
    this.typeSeen = false
    this.help = undefined
    this.helpSeen = false
    this.unit = undefined
    this.unitSeen = false
    this.out = undefined
    this.groups = new Set()
    this.prevLabels = undefined
    this.prevTs = undefined
  }

  private parseSample (): void {
    const text = this.text
    const nameStart = this.pos
    this.skipMetricName()
    const nameEnd = this.pos
    if (nameEnd === nameStart) this.fail('invalid metric name at the start of the line')
    let labels: LabelPair[] = []
    const braced = this.code() === LEFT_BRACE
    if (braced) labels = this.parseLabels(this.labelsMax)
    if (this.code() !== SPACE) {
      if (this.pos === this.lineEnd) this.fail('missing value')
      if (braced) this.fail(`expected a space and a value after the labels, got ${goQuote(text[this.pos] as string)}`)
      this.fail(`invalid character ${goQuote(text[this.pos] as string)} in metric name`)
    }
    this.pos++
    const value = this.parseToken(false, 'value')
    let timestamp: number | undefined
    let exemplar: Exemplar | undefined
    if (this.pos < this.lineEnd) {
      this.pos++
      if (this.code() !== HASH) {
        timestamp = this.parseToken(true, 'timestamp')
        if (this.pos < this.lineEnd) {
          this.pos++
          exemplar = this.parseExemplar()
        }
      } else {
        exemplar = this.parseExemplar()
      }
    }
    this.addSample(nameStart, nameEnd, labels, value, timestamp, exemplar)
  }

  /** Reads a space-free token as a number; `real` allows no NaN or infinities (timestamps). */
  private parseToken (real: boolean, what: string): number {
    const start = this.pos
    const text = this.text
    while (this.pos < this.lineEnd && text.charCodeAt(this.pos) !== SPACE) this.pos++
    const n = parseNumber(text, start, this.pos, real)
    if (n === undefined) this.fail(`invalid ${what} ${goQuote(text.slice(start, this.pos))}`)
    return n
  }

  private parseExemplar (): Exemplar {
    const text = this.text
    if (!text.startsWith('# {', this.pos)) this.fail('invalid exemplar, expected " # {" after the value or timestamp')
    this.pos += 2
    const sampleLabels = this.previousLabels
    const labels = this.parseLabels(Infinity)
    this.previousLabels = sampleLabels
    let length = 0
    for (const label of labels) length += codePoints(label.name) + codePoints(label.value)
    if (length > EXEMPLAR_LABELS_MAX) {
      this.fail(`exemplar labels have ${length} characters, more than the limit of ${EXEMPLAR_LABELS_MAX}`)
    }
    if (this.code() !== SPACE) this.fail('expected a space and a value after the exemplar labels')
    this.pos++
    const exemplar: Exemplar = { labels, value: this.parseToken(false, 'exemplar value') }
    if (this.pos < this.lineEnd) {
      this.pos++
      exemplar.timestampMs = secondsToMs(this.parseToken(true, 'exemplar timestamp'))
      if (this.pos < this.lineEnd) this.fail('unexpected text after the exemplar timestamp')
    }
    return exemplar
  }

  private skipMetricName (): void {
    const text = this.text
    if (this.pos < this.lineEnd && isNameStart(text.charCodeAt(this.pos))) {
      this.pos++
      while (this.pos < this.lineEnd && isNameChar(text.charCodeAt(this.pos))) this.pos++
    }
  }

  /** Parses `{name="value",…}` from the `{` on, leaving `pos` after the `}`; more than `max` labels are refused by the budget. */
  private parseLabels (max: number): LabelPair[] {
    const text = this.text
    const labels: LabelPair[] = []
    // Consecutive samples mostly repeat names and values: reusing the previous sample's strings
    // saves allocations and makes later comparisons cheap.
    const previous = this.previousLabels
    this.previousLabels = labels
    this.pos++
    if (this.code() === RIGHT_BRACE) {
      this.pos++
      return labels
    }
    for (;;) {
      const nameStart = this.pos
      if (isLabelStart(this.code())) {
        this.pos++
        while (isLabelChar(this.code())) this.pos++
      }
      if (this.pos === nameStart) this.fail('invalid label name')
      const reuse = previous[labels.length]
      const name = reuse !== undefined && sameText(text, nameStart, this.pos, reuse.name) ? reuse.name : text.slice(nameStart, this.pos)
      if (this.code() !== EQUALS) this.fail(`expected "=" after label name ${goQuote(name)}`)
      this.pos++
      if (this.code() !== QUOTE) this.fail(`expected a quoted value for label ${goQuote(name)}`)
      this.pos++
      const value = this.parseLabelValue(reuse?.value)
      if (name === '__name__') this.fail('label name "__name__" is reserved')
      if (isDuplicateName(labels, labels.length, name)) this.fail(`duplicate label name ${goQuote(name)}`)
      if (labels.length === max) this.refuse('labels')
      labels.push({ name, value })
      const c = this.code()
      this.pos++
      if (c === RIGHT_BRACE) return labels
      if (c !== COMMA) this.fail(`expected "," or "}" after the value of label ${goQuote(name)}`)
    }
  }

  /** Reads a label value up to its closing quote; `reuse` is returned if it is the same text. */
  private parseLabelValue (reuse: string | undefined): string {
    const text = this.text
    const start = this.pos
    const end = this.lineEnd
    let escaped = false
    let i = start
    for (;;) {
      if (i >= end) this.fail('unterminated label value')
      const c = text.charCodeAt(i)
      if (c === QUOTE) break
      if (c === BACKSLASH) {
        escaped = true
        i += 2
      } else {
        i++
      }
    }
    this.pos = i + 1
    if (escaped) return unescape(text, start, i)
    return reuse !== undefined && sameText(text, start, i, reuse) ? reuse : text.slice(start, i)
  }

  private roleOf (nameStart: number, nameEnd: number): number {
    const name = this.name
    if (name === undefined || !this.text.startsWith(name, nameStart)) return -1
    const suffixStart = nameStart + name.length
    const suffixes = this.suffixes
    for (let i = 0; i < suffixes.length; i++) {
      const [suffix, role] = suffixes[i]!
      if (sameText(this.text, suffixStart, nameEnd, suffix)) return role
    }
    return -1
  }

  private addSample (nameStart: number, nameEnd: number, labels: LabelPair[], value: number, ts: number | undefined, exemplar: Exemplar | undefined): void {
    const text = this.text
    let role = this.roleOf(nameStart, nameEnd)
    if (role === -1) {
      this.startFamily(text.slice(nameStart, nameEnd))
      role = VALUE
    }
    const type = this.type
    const name = this.name as string
    let bound = 0
    let skip: string | undefined
    if (role === BUCKET) {
      bound = this.takeBound(labels, 'le')
    } else if (role === VALUE && type === 'summary') {
      bound = this.takeBound(labels, 'quantile')
    } else if (type === 'stateset') {
      if (!labels.some(label => label.name === name)) this.fail(`stateset sample without the label ${goQuote(name)}`)
      skip = name
    } else if (type === 'histogram' || type === 'gaugehistogram' || type === 'summary') {
      const reserved = type === 'summary' ? 'quantile' : 'le'
      if (labels.some(label => label.name === reserved)) this.fail(`label ${goQuote(reserved)} is not allowed on this ${type} sample`)
    }
    const problem = this.valueProblem(role, value)
    if (problem !== undefined) {
      this.fail(`invalid value ${formatValue(value)} of ${type} sample ${goQuote(text.slice(nameStart, nameEnd))}: ${problem}`)
    }
    if (exemplar !== undefined && role !== BUCKET && role !== TOTAL) {
      this.fail('exemplars are only allowed on counter _total and histogram _bucket samples')
    }
    this.checkGrouping(labels, skip, ts)
    const family = this.out ?? this.createFamily()
    if (type === 'counter' || type === 'summary' || type === 'histogram' || type === 'gaugehistogram') {
      this.addToPoint(family, role, labels, value, ts, bound, exemplar)
      return
    }
    const metric: Metric = { labels, value }
    if (ts !== undefined) metric.timestampMs = secondsToMs(ts)
    if (--this.metricsLeft < 0) this.refuse('metrics')
    family.metrics.push(metric)
  }

  /** Removes the `le` or `quantile` label from `labels` and returns its value as a number. */
  private takeBound (labels: LabelPair[], name: string): number {
    const index = labels.findIndex(label => label.name === name)
    if (index === -1) this.fail(`${name === 'le' ? 'histogram bucket' : 'summary quantile'} without the label ${goQuote(name)}`)
    const text = (labels[index] as LabelPair).value
    labels.splice(index, 1)
    const n = parseNumber(text, 0, text.length, false)
    if (n === undefined || Number.isNaN(n) || (n === Infinity && text !== '+Inf') ||
      (name === 'quantile' && !(n >= 0 && n <= 1))) {
      this.fail(`invalid ${name} label value ${goQuote(text)}`)
    }
    return n
  }

  /** What is wrong with a sample value for its role, or undefined. */
  private valueProblem (role: number, value: number): string | undefined {
    if (role === TOTAL || role === COUNT || role === SUM || role === BUCKET || role === GCOUNT || role === GSUM) {
      if (Number.isNaN(value)) return 'must not be NaN'
      if (value < 0 && role !== GSUM) return 'must not be negative'
      if ((role === COUNT || role === GCOUNT || role === BUCKET) && !Number.isInteger(value)) return 'must be an integer'
    } else if (role === CREATED) {
      if (!Number.isFinite(value)) return 'must be a finite number of seconds'
    } else if (role === INFO) {
      if (value !== 1) return 'must be 1'
    } else if (this.type === 'stateset') {
      if (value !== 0 && value !== 1) return 'must be 0 or 1'
    } else if (this.type === 'summary' && value < 0) {
      return 'must not be negative'
    }
    return undefined
  }

  /** Metrics and points must not be interleaved, and timestamps must not go backwards. */
  private checkGrouping (labels: LabelPair[], skip: string | undefined, ts: number | undefined): void {
    const prev = this.prevLabels
    // Info samples cannot be told apart from their metric's labels, so they all count as one.
    if (prev !== undefined && (this.type === 'info' || sameLabels(prev, labels, skip))) {
      if ((ts === undefined) !== (this.prevTs === undefined)) {
        this.fail('samples of one metric must either all have timestamps or none')
      }
      if (ts !== undefined && ts < (this.prevTs as number) && this.type !== 'info') {
        this.fail('timestamps of one metric must not go backwards')
      }
    } else {
      const key = groupKey(labels, skip)
      if (this.groups.has(key)) this.fail(`metric family ${this.quotedName()} has interleaved metrics`)
      this.groups.add(key)
      this.group++
    }
    this.prevLabels = labels
    this.prevTs = ts
  }

  private quotedName (): string {
    return goQuote(this.name as string)
  }

  private createFamily (): MetricFamily {
    const type = this.type
    const family: MetricFamily = { name: (this.name as string) + MODEL_SUFFIX[type], type: MODEL_TYPE[type], metrics: [] }
    if (this.help !== undefined) family.help = this.help
    if (this.unit !== undefined) family.unit = this.unit
    this.families.push(family)
    this.out = family
    return family
  }

  private addToPoint (family: MetricFamily, role: number, labels: LabelPair[], value: number, ts: number | undefined, bound: number, exemplar: Exemplar | undefined): void {
    const bit = 1 << role
    let point = this.point
    // A repeated sample starts a new point, so the duplicate reaches the consistency checks.
    if (point === undefined || this.group !== this.pointGroup || ts !== this.pointTs ||
      (role !== BUCKET && role !== VALUE && (this.pointRoles & bit) !== 0)) {
      this.finishPoint()
      point = this.startPoint(family, labels, ts)
    }
    this.pointRoles |= bit
    this.pointLine = this.line
    if (role === CREATED) {
      const ms = secondsToMs(value)
      const target = point.summary ?? point.histogram ?? point
      target.createdTimestampMs = ms
    } else if (role === TOTAL) {
      point.value = value
      if (exemplar !== undefined) point.exemplar = exemplar
    } else if (point.summary !== undefined) {
      if (role === VALUE) point.summary.quantiles.push({ quantile: bound, value })
      else if (role === COUNT) point.summary.sampleCount = value
      else point.summary.sampleSum = value
    } else {
      this.addToHistogram(point.histogram as Histogram, role, value, bound, exemplar)
    }
  }

  private startPoint (family: MetricFamily, labels: LabelPair[], ts: number | undefined): Metric {
    const point: Metric = { labels }
    const type = this.type
    if (type === 'summary') {
      point.summary = { sampleCount: 0, sampleSum: 0, quantiles: [] }
    } else if (type !== 'counter') {
      point.histogram = emptyHistogram()
    }
    if (ts !== undefined) point.timestampMs = secondsToMs(ts)
    if (--this.metricsLeft < 0) this.refuse('metrics')
    family.metrics.push(point)
    this.point = point
    this.pointGroup = this.group
    this.pointTs = ts
    this.pointRoles = 0
    this.pointNegative = false
    return point
  }

  private addToHistogram (histogram: Histogram, role: number, value: number, bound: number, exemplar: Exemplar | undefined): void {
    if (role === BUCKET) {
      const last = histogram.buckets[histogram.buckets.length - 1]
      if (last !== undefined) {
        if (bound <= last.upperBound) this.fail('histogram buckets must be in increasing order of "le"')
        if (value < last.cumulativeCount) this.fail('histogram bucket counts must not decrease')
      }
      if (bound < 0) this.pointNegative = true
      histogram.buckets.push(exemplar === undefined
        ? { upperBound: bound, cumulativeCount: value }
        : { upperBound: bound, cumulativeCount: value, exemplar })
    } else if (role === COUNT || role === GCOUNT) {
      histogram.sampleCount = value
    } else {
      histogram.sampleSum = value
    }
  }

  /** Checks a finished counter or histogram point: the rules that need all its samples. */
  private finishPoint (): void {
    const point = this.point
    if (point === undefined) return
    this.point = undefined
    const roles = this.pointRoles
    const line = this.pointLine
    if (this.type === 'counter') {
      if (point.value === undefined) this.failAt(line, `counter ${this.quotedName()} has a _created sample without a _total sample`)
      return
    }
    const histogram = point.histogram
    if (histogram === undefined) return
    const gauge = this.type === 'gaugehistogram'
    const count = gauge ? '_gcount' : '_count'
    const sum = gauge ? '_gsum' : '_sum'
    const hasCount = (roles & (1 << (gauge ? GCOUNT : COUNT))) !== 0
    const hasSum = (roles & (1 << (gauge ? GSUM : SUM))) !== 0
    const inf = histogram.buckets[histogram.buckets.length - 1]
    if (inf === undefined || inf.upperBound !== Infinity) this.failAt(line, `${this.type} ${this.quotedName()} has no +Inf bucket`)
    if (hasCount && histogram.sampleCount !== inf.cumulativeCount) {
      this.failAt(line, `${this.type} ${this.quotedName()} has a ${count} of ${formatValue(histogram.sampleCount)} but a +Inf bucket of ${formatValue(inf.cumulativeCount)}`)
    }
    if (hasCount !== hasSum) this.failAt(line, `${this.type} ${this.quotedName()} has ${hasSum ? sum : count} without ${hasSum ? count : sum}`)
    if (hasSum && this.pointNegative && !gauge) this.failAt(line, `histogram ${this.quotedName()} has a _sum but negative buckets`)
    if (gauge && !this.pointNegative && histogram.sampleSum < 0) {
      this.failAt(line, `gaugehistogram ${this.quotedName()} has a negative _gsum but no negative buckets`)
    }
    histogram.sampleCount = inf.cumulativeCount
  }
}

function sameText (text: string, start: number, end: number, s: string): boolean {
  return end - start === s.length && text.startsWith(s, start)
}

function isNameStart (c: number): boolean {
  const lower = c | 0x20
  return (lower >= 97 && lower <= 122) || c === UNDERSCORE || c === COLON
}

function isNameChar (c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57)
}

function isLabelStart (c: number): boolean {
  const lower = c | 0x20
  return (lower >= 97 && lower <= 122) || c === UNDERSCORE
}

function isLabelChar (c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57)
}

function isDigit (c: number): boolean {
  return c >= 48 && c <= 57
}

/**
 * Reads `s[start, end)` as an OpenMetrics number: `[+-]digits[.digits][e[+-]digits]` (either
 * side of the dot may be empty, not both), or, unless `real`, `[+-]inf`, `[+-]infinity` or `nan`
 * in any case. Returns undefined when it is none of these or does not fit a float64.
 */
function parseNumber (s: string, start: number, end: number, real: boolean): number | undefined {
  let i = start
  let c = s.charCodeAt(i)
  const signed = c === PLUS || c === MINUS
  if (signed) c = s.charCodeAt(++i)
  if (i >= end) return undefined
  if (isDigit(c) || c === DOT) {
    let digits = 0
    let fraction = 0
    let mantissa = 0
    while (i < end && isDigit(c = s.charCodeAt(i))) { mantissa = mantissa * 10 + c - 48; i++; digits++ }
    if (i < end && s.charCodeAt(i) === DOT) {
      i++
      while (i < end && isDigit(c = s.charCodeAt(i))) { mantissa = mantissa * 10 + c - 48; i++; fraction++ }
    }
    if (digits + fraction === 0) return undefined
    if (i === end && mantissa <= Number.MAX_SAFE_INTEGER && fraction <= 22) {
      // Exact: both operands are exact doubles, and one division rounds correctly.
      const n = fraction === 0 ? mantissa : mantissa / POWERS_OF_TEN[fraction]!
      return s.charCodeAt(start) === MINUS ? -n : n
    }
    if (i < end && (s.charCodeAt(i) | 0x20) === 101) {
      i++
      if (i < end && (s.charCodeAt(i) === PLUS || s.charCodeAt(i) === MINUS)) i++
      const exponentStart = i
      while (i < end && isDigit(s.charCodeAt(i))) i++
      if (i === exponentStart) return undefined
    }
    if (i !== end) return undefined
    const n = Number(s.slice(start, end))
    return Number.isFinite(n) ? n : undefined
  }
  if (real) return undefined
  const word = end - i
  if ((word === 3 || word === 8) && matchesLower(s, i, end, 'infinity')) {
    return s.charCodeAt(start) === MINUS ? -Infinity : Infinity
  }
  if (!signed && word === 3 && matchesLower(s, i, end, 'nan')) return NaN
  return undefined
}

/** Whether `s[start, end)` equals the start of `word` (lower case), ignoring ASCII case. */
function matchesLower (s: string, start: number, end: number, word: string): boolean {
  for (let i = start; i < end; i++) {
    if ((s.charCodeAt(i) | 0x20) !== word.charCodeAt(i - start)) return false
  }
  return true
}

/** Undoes `\n`, `\"` and `\\`; other backslashes are kept as written, as the ABNF allows. */
function unescape (s: string, start: number, end: number): string {
  let out = ''
  let chunk = start
  for (let i = start; i < end; i++) {
    if (s.charCodeAt(i) !== BACKSLASH || i + 1 === end) continue
    const next = s.charCodeAt(i + 1)
    if (next !== 110 && next !== QUOTE && next !== BACKSLASH) continue
    out += s.slice(chunk, i) + (next === 110 ? '\n' : next === QUOTE ? '"' : '\\')
    i++
    chunk = i + 1
  }
  return out + s.slice(chunk, end)
}

/** Counts code points: a surrogate pair is one character. */
function codePoints (s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) n--
    }
  }
  return n
}

/**
 * Whether two label sets are equal in any order, not counting the values of the label named
 * `skip`, which both have if either has.
 */
function sameLabels (a: LabelPair[], b: LabelPair[], skip: string | undefined): boolean {
  if (a.length !== b.length) return false
  for (const label of a) {
    if (label.name !== skip && findValue(b, label.name) !== label.value) return false
  }
  return true
}

function findValue (labels: LabelPair[], name: string): string | undefined {
  for (const label of labels) {
    if (label.name === name) return label.value
  }
  return undefined
}

/** A key for a label set that ignores label order, built from the labels except `skip`. */
function groupKey (labels: LabelPair[], skip: string | undefined): string {
  let sorted = labels
  for (let i = 1; i < labels.length; i++) {
    if ((labels[i] as LabelPair).name < (labels[i - 1] as LabelPair).name) {
      sorted = [...labels].sort((a, b) => a.name < b.name ? -1 : 1)
      break
    }
  }
  let key = ''
  for (const label of sorted) {
    // The length prefix keeps values containing separators unambiguous.
    if (label.name !== skip) key += `${label.name}=${label.value.length}:${label.value},`
  }
  return key
}

function secondsToMs (seconds: number): number {
  return Math.round(seconds * 1000)
}

function formatValue (value: number): string {
  return Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : String(value)
}
