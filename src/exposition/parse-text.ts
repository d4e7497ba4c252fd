import { ParseError } from '../errors.js'
import { goQuote } from './go-quote.js'
import type { Bucket, Histogram, LabelPair, Metric, MetricFamily, MetricType } from './types.js'
import { emptyHistogram } from './types.js'
import { isDuplicateName, isValidLabelName, isValidMetricName, type NameValidation } from './names.js'
import type { ParseBudget, SlicedParser } from './parse.js'
import type { ValueRecord } from './text-template.js'

// A port of the TextParser state machine of prometheus/common `expfmt/text_parse.go` (v0.69.0)
// with legacy name validation. It keeps the reference's state, including what carries over from
// one line to the next, so that it accepts, rejects and reports exactly what the Go parser does.

const TAB: number = 9
const LF: number = 10
const SPACE: number = 32
const QUOTE: number = 34
const HASH: number = 35
const PLUS: number = 43
const COMMA: number = 44
const MINUS: number = 45
const DOT: number = 46
const COLON: number = 58
const EQUALS: number = 61
const BACKSLASH: number = 92
const UNDERSCORE: number = 95
const LOWER_N: number = 110
const LBRACE: number = 123
const RBRACE: number = 125

// States of the machine, one per state function of the reference.
const DONE: number = 0
const START_OF_LINE: number = 1
const START_COMMENT: number = 2
const READING_METRIC_NAME: number = 3
const READING_LABELS: number = 4
const START_LABEL_NAME: number = 5
const START_LABEL_VALUE: number = 6
const READING_VALUE: number = 7
const START_TIMESTAMP: number = 8
const READING_HELP: number = 9
const READING_TYPE: number = 10

// What a sample line of a summary or histogram family is, from its name's suffix (Go: the
// currentIsSummaryCount … currentIsHistogramSum flags).
const PLAIN: number = 0
const SUMMARY_COUNT: number = 1
const SUMMARY_SUM: number = 2
const HISTOGRAM_COUNT: number = 3
const HISTOGRAM_SUM: number = 4

// A lone surrogate cannot occur in text decoded from UTF-8: it stands for "no name yet".
const NO_NAME = '\ud800'
const POWERS_OF_TEN: readonly number[] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]
const TWO_POW_63 = 2 ** 63
const TWO_POW_64 = 2 ** 64
const INT64_MAX = '9223372036854775807'
const INT64_MIN_ABS = '9223372036854775808'

const TYPES_BY_UPPER_NAME: ReadonlyMap<string, MetricType> = new Map<string, MetricType>([
  ['COUNTER', 'counter'],
  ['GAUGE', 'gauge'],
  ['SUMMARY', 'summary'],
  ['UNTYPED', 'untyped'],
  ['HISTOGRAM', 'histogram'],
  ['GAUGE_HISTOGRAM', 'gaugehistogram'],
  ['GAUGEHISTOGRAM', 'gaugehistogram']
])

// A family while parsing: help and type stay unset until a HELP/TYPE line or a sample sets them.
interface Family {
  name: string
  help: string | undefined
  type: MetricType | undefined
  metrics: Metric[]
}

/**
 * Parses a text format 0.0.4 body (already decoded from valid UTF-8) into metric families, in
 * order of first appearance, dropping families that have no samples. It accepts and rejects
 * exactly what prometheus/common's `TextParser` does with the name `validation` given (quoted names
 * are read either way; with `'legacy'`, the default, they must still match the legacy patterns), and throws a
 * `ParseError` whose message is the reference's `text format parsing error in line N: <msg>`,
 * or what `budget` refuses once a bound is passed.
 */
export function parseText (text: string, budget?: ParseBudget, validation: NameValidation = 'legacy'): MetricFamily[] {
  const parser = new TextParser(text, budget, validation)
  parser.parseSlice(Infinity)
  return parser.result()
}

/**
 * A text format 0.0.4 parser that works through `text` in slices, as `parseText` parses it at once
 * (`validation` default `'legacy'`); it notes where the sample values are in `record`, when given.
 */
export function textParser (text: string, budget?: ParseBudget, validation: NameValidation = 'legacy', record?: ValueRecord): SlicedParser {
  return new TextParser(text, budget, validation, record)
}

class TextParser implements SlicedParser {
  private readonly text: string
  private readonly budget: ParseBudget | undefined
  private readonly validation: NameValidation
  private readonly record: ValueRecord | undefined
  private metricsLeft: number
  private readonly labelsMax: number
  private state = START_OF_LINE
  private readonly end: number
  private pos = 0
  /** The last character code read (Go: currentByte); it sits at `pos - 1`. */
  private byte = 0
  private line = 0
  private token = ''
  private readonly families = new Map<string, Family>()
  private readonly summaries = new SignatureRegistry()
  private readonly histograms = new SignatureRegistry()
  private readonly histogramsToNormalize: Histogram[] = []
  private mf: Family | undefined
  private metric: Metric | undefined
  private labelPair: LabelPair | undefined
  /** The first `labelPairCount` entries are the label pairs of the line so far (Go: currentLabelPairs). */
  private readonly labelPairs: LabelPair[] = []
  private labelPairCount = 0
  /**
   * Go's currentLabels: the labels of a summary or histogram line, with `__name__` but without
   * quantile/le, that make its signature. The first `signatureCount` entries of two arrays reused
   * from line to line hold the names and values.
   */
  private readonly signatureNames: string[] = []
  private readonly signatureValues: string[] = []
  private signatureCount = 0
  private quantile = NaN
  private bucket = NaN
  private role = PLAIN
  /** Whether the last name token had quoted parts: only then can it fail the legacy name rules. */
  private tokenQuoted = false
  // The last name looked up and what it resolved to: a name always resolves the same way once it
  // has been seen, and consecutive lines usually share it.
  private cachedName = NO_NAME
  private cachedFamily: Family | undefined
  private cachedRole = PLAIN
  private insideBraces = false
  private insideBracesNamePresent = false

  constructor (text: string, budget: ParseBudget | undefined, validation: NameValidation, record?: ValueRecord) {
    this.text = text
    this.end = text.length
    this.budget = budget
    this.validation = validation
    this.record = record
    this.metricsLeft = budget?.metrics ?? Infinity
    this.labelsMax = budget?.labels ?? Infinity
  }

  // The state loop has a function of its own so that it stays optimized from body to body.
  parseSlice (length: number): boolean {
    const until = this.pos + length
    let state = this.state
    while (state !== DONE) {
      if (state === START_OF_LINE && this.pos >= until) break
      state = this.step(state)
    }
    this.state = state
    return state === DONE
  }

  private refuse (bound: 'metrics' | 'labels'): never {
    throw (this.budget as ParseBudget).refuse(bound, this.mf?.name)
  }

  result (): MetricFamily[] {
    for (const histogram of this.histogramsToNormalize) normalizeHistogram(histogram)
    const result: MetricFamily[] = []
    for (const family of this.families.values()) {
      if (family.metrics.length === 0) continue
      // Go's GetType() reads an unset type as COUNTER.
      const out: MetricFamily = { name: family.name, type: family.type ?? 'counter', metrics: family.metrics }
      if (family.help !== undefined) out.help = family.help
      result.push(out)
    }
    return result
  }

  private step (state: number): number {
    switch (state) {
      case START_OF_LINE: return this.startOfLine()
      case START_COMMENT: return this.startComment()
      case READING_METRIC_NAME: return this.readingMetricName()
      case READING_LABELS: return this.readingLabels()
      case START_LABEL_NAME: return this.startLabelName()
      case START_LABEL_VALUE: return this.startLabelValue()
      case READING_VALUE: return this.readingValue()
      case START_TIMESTAMP: return this.startTimestamp()
      case READING_HELP: return this.readingHelp()
      default: return this.readingType()
    }
  }

  private startOfLine (): number {
    this.line++
    this.insideBraces = false
    this.insideBracesNamePresent = false
    // The only place where the end of the input is the normal end rather than an error.
    let c: number
    do {
      if (this.pos >= this.end) return DONE
      c = this.text.charCodeAt(this.pos++)
    } while (c === SPACE || c === TAB)
    this.byte = c
    if (c === HASH) return START_COMMENT
    if (c === LF) return START_OF_LINE
    if (c === LBRACE) {
      this.insideBraces = true
      return READING_LABELS
    }
    return READING_METRIC_NAME
  }

  private startComment (): number {
    this.skipBlankTab()
    if (this.byte === LF) return START_OF_LINE
    this.readTokenUntilWhitespace()
    if (this.byte === LF) return START_OF_LINE
    const keyword = this.token
    if (keyword !== 'HELP' && keyword !== 'TYPE') {
      this.skipRestOfLine()
      return START_OF_LINE
    }
    this.skipBlankTab()
    this.readTokenAsMetricName()
    if (this.byte === LF) return START_OF_LINE
    if (this.byte !== SPACE && this.byte !== TAB) this.fail('invalid metric name in comment')
    this.setOrCreateCurrentMF()
    this.skipBlankTab()
    if (this.byte === LF) return START_OF_LINE
    return keyword === 'HELP' ? READING_HELP : READING_TYPE
  }

  private readingMetricName (): number {
    this.readTokenAsMetricName()
    if (this.token === '') this.fail('invalid metric name')
    const mf = this.setOrCreateCurrentMF()
    mf.type ??= 'untyped'
    this.metric = { labels: [] }
    this.skipBlankTabIfCurrentBlankTab()
    return READING_LABELS
  }

  private readingLabels (): number {
    const mf = this.mf
    if (mf !== undefined && isSummaryOrHistogram(mf.type)) {
      this.signatureNames[0] = '__name__'
      this.signatureValues[0] = mf.name
      this.signatureCount = 1
      this.quantile = NaN
      this.bucket = NaN
    }
    return this.byte === LBRACE ? START_LABEL_NAME : READING_VALUE
  }

  private startLabelName (): number {
    this.skipBlankTab()
    if (this.byte === RBRACE) {
      this.closeLabels()
      return READING_VALUE
    }
    this.readTokenAsLabelName()
    if (this.token === '') this.fail(`invalid label name for metric ${goQuote(this.mf?.name ?? '')}`)
    this.skipBlankTabIfCurrentBlankTab()
    if (this.byte !== EQUALS) return this.metricNameInsideBraces()
    const name = this.token
    if (name === '__name__') this.fail('label name "__name__" is reserved')
    if (this.tokenQuoted && !isValidLabelName(name, this.validation)) this.fail(`invalid label name ${goQuote(name)}`)
    const pair: LabelPair = { name, value: '' }
    this.labelPair = pair
    const type = this.mf?.type
    // Quantile and le labels of summaries and histograms become quantiles and buckets instead.
    if (!(type === 'summary' && name === 'quantile') && !(isHistogram(type) && name === 'le')) {
      const pairs = this.labelPairs
      const count = this.labelPairCount
      if (isDuplicateName(pairs, count, name)) this.fail(`duplicate label names for metric ${goQuote(this.mf?.name ?? '')}`)
      if (count === this.labelsMax) this.refuse('labels')
      pairs[count] = pair
      this.labelPairCount = count + 1
    }
    return START_LABEL_VALUE
  }

  /** A token inside braces not followed by '=': the `{"name", …}` syntax, or an error. */
  private metricNameInsideBraces (): number {
    if (!this.insideBraces) this.fail(`expected '=' after label name, found ${quoteByte(this.byte)}`)
    if (this.insideBracesNamePresent) this.fail(`multiple metric names for metric ${goQuote((this.mf as Family).name)}`)
    if (this.byte !== COMMA && this.byte !== RBRACE) this.fail(`unexpected end of metric name ${quoteByte(this.byte)}`)
    const mf = this.setOrCreateCurrentMF()
    mf.type ??= 'untyped'
    this.metric = { labels: [] }
    if (this.byte === COMMA) {
      this.insideBracesNamePresent = true
      return START_LABEL_NAME
    }
    this.closeLabels()
    return READING_VALUE
  }

  private startLabelValue (): number {
    this.skipBlankTab()
    if (this.byte !== QUOTE) this.fail(`expected '"' at start of label value, found ${quoteByte(this.byte)}`)
    this.readTokenAsLabelValue()
    const pair = this.labelPair as LabelPair
    const value = this.token
    pair.value = value
    const type = this.mf?.type
    if (type === 'summary') {
      if (pair.name === 'quantile') {
        const quantile = parseGoFloat(value, 0, value.length)
        if (quantile === undefined) this.fail(`expected float as value for 'quantile' label, got ${goQuote(value)}`)
        this.quantile = quantile
      } else {
        this.setSignatureLabel(pair.name, value)
      }
    } else if (isHistogram(type)) {
      if (pair.name === 'le') {
        const bucket = parseGoFloat(value, 0, value.length)
        if (bucket === undefined) this.fail(`expected float as value for 'le' label, got ${goQuote(value)}`)
        this.bucket = bucket
      } else {
        this.setSignatureLabel(pair.name, value)
      }
    }
    this.skipBlankTab()
    if (this.byte === COMMA) return START_LABEL_NAME
    if (this.byte !== RBRACE) this.fail(`unexpected end of label value ${goQuote(value)}`)
    this.closeLabels()
    return READING_VALUE
  }

  private setSignatureLabel (name: string, value: string): void {
    // When a summary or histogram name first appears inside braces, Go writes into a map that is
    // still nil (and panics); the empty arrays here act as an empty map instead.
    const names = this.signatureNames
    const count = this.signatureCount
    let i = 0
    while (i < count && names[i] !== name) i++
    names[i] = name
    this.signatureValues[i] = value
    if (i === count) this.signatureCount = count + 1
  }

  /** The closing brace: attaches the collected labels to the current metric. */
  private closeLabels (): void {
    // Go checks only currentMF and dereferences a nil currentMetric (a panic) when the line starts
    // with a label set after a HELP/TYPE line; both report the same error here.
    const metric = this.mf === undefined ? undefined : this.metric
    if (metric === undefined) this.fail('invalid metric name')
    const count = this.labelPairCount
    if (metric.labels.length === 0) {
      metric.labels = this.labelPairs.slice(0, count)
    } else {
      for (let i = 0; i < count; i++) metric.labels.push(this.labelPairs[i] as LabelPair)
    }
    this.labelPairCount = 0
    this.skipBlankTab()
  }

  private readingValue (): number {
    const mf = this.mf as Family
    let metric = this.metric as Metric
    const type = mf.type ?? 'counter'
    if (type === 'summary' || isHistogram(type)) {
      const registry = type === 'summary' ? this.summaries : this.histograms
      const existing = registry.findOrAdd(this.signatureNames, this.signatureValues, this.signatureCount, metric)
      if (existing === undefined) {
        if (--this.metricsLeft < 0) this.refuse('metrics')
        mf.metrics.push(metric)
      } else {
        metric = existing
        this.metric = existing
      }
    } else {
      if (--this.metricsLeft < 0) this.refuse('metrics')
      mf.metrics.push(metric)
    }
    const start = this.pos - 1
    this.skipToWhitespace()
    const value = parseGoFloat(this.text, start, this.pos - 1)
    if (value === undefined) this.fail(`expected float as value, got ${goQuote(this.text.slice(start, this.pos - 1))}`)
    if (type === 'summary') {
      this.addSummarySample(metric, value)
    } else if (isHistogram(type)) {
      this.addHistogramSample(metric, value, mf.name)
    } else {
      metric.value = value
    }
    this.record?.add(type, mf.name, mf.metrics.length - 1, start, this.pos - 1, value)
    return this.byte === LF ? START_OF_LINE : START_TIMESTAMP
  }

  private addSummarySample (metric: Metric, value: number): void {
    const summary = metric.summary ??= { sampleCount: 0, sampleSum: 0, quantiles: [] }
    if (this.role === SUMMARY_COUNT) {
      summary.sampleCount = goFloatToUint64(value)
    } else if (this.role === SUMMARY_SUM) {
      summary.sampleSum = value
    } else if (!Number.isNaN(this.quantile)) {
      summary.quantiles.push({ quantile: this.quantile, value })
    }
  }

  private addHistogramSample (metric: Metric, value: number, name: string): void {
    let histogram = metric.histogram
    if (histogram === undefined) {
      histogram = emptyHistogram()
      metric.histogram = histogram
      this.histogramsToNormalize.push(histogram)
    }
    if (this.role === HISTOGRAM_COUNT) {
      if (isUint64(value)) {
        histogram.sampleCount = value + 0
      } else {
        if (value < 0) this.fail(`negative count for histogram ${goQuote(name)}`)
        histogram.sampleCountFloat = value
      }
    } else if (this.role === HISTOGRAM_SUM) {
      histogram.sampleSum = value
    } else if (!Number.isNaN(this.bucket)) {
      if (isUint64(value)) {
        histogram.buckets.push({ upperBound: this.bucket, cumulativeCount: value + 0 })
      } else {
        if (value < 0) this.fail(`negative bucket population for histogram ${goQuote(name)}`)
        histogram.buckets.push({ upperBound: this.bucket, cumulativeCount: 0, cumulativeCountFloat: value })
      }
    }
  }

  private startTimestamp (): number {
    const metric = this.metric as Metric
    this.skipBlankTab()
    this.readTokenUntilWhitespace()
    const timestamp = parseGoInt64(this.token)
    if (timestamp === undefined) this.fail(`expected integer as timestamp, got ${goQuote(this.token)}`)
    metric.timestampMs = timestamp
    this.readTokenUntilNewline(false)
    if (this.token !== '') this.fail(`spurious string after timestamp: ${goQuote(this.token)}`)
    return START_OF_LINE
  }

  private readingHelp (): number {
    const mf = this.mf as Family
    if (mf.help !== undefined) this.fail(`second HELP line for metric name ${goQuote(mf.name)}`)
    this.readTokenUntilNewline(true)
    mf.help = this.token
    return START_OF_LINE
  }

  private readingType (): number {
    const mf = this.mf as Family
    if (mf.type !== undefined) {
      this.fail(`second TYPE line for metric name ${goQuote(mf.name)}, or TYPE reported after samples`)
    }
    this.readTokenUntilNewline(false)
    const type = TYPES_BY_UPPER_NAME.get(goToUpper(this.token))
    if (type === undefined) this.fail(`unknown metric type ${goQuote(this.token)}`)
    mf.type = type
    return START_OF_LINE
  }

  /** Finds the family of the name in `token`, a summary/histogram one for its suffixes, or creates it. */
  private setOrCreateCurrentMF (): Family {
    const name = this.token
    if (name === this.cachedName) {
      this.role = this.cachedRole
      return (this.mf = this.cachedFamily as Family)
    }
    this.role = PLAIN
    let mf = this.families.get(name)
    // Every family in the map has a valid name, so only names seen for the first time need the check.
    if (mf === undefined && !isValidMetricName(name, this.validation)) this.fail(`invalid metric name ${goQuote(name)}`)
    if (mf === undefined) mf = this.familyOfSuffixedName(name)
    if (mf === undefined) {
      mf = { name, help: undefined, type: undefined, metrics: [] }
      this.families.set(name, mf)
    }
    this.cachedName = name
    this.cachedFamily = mf
    this.cachedRole = this.role
    this.mf = mf
    return mf
  }

  private familyOfSuffixedName (name: string): Family | undefined {
    const isCount = name.length > 6 && name.endsWith('_count')
    const isSum = !isCount && name.length > 4 && name.endsWith('_sum')
    const isBucket = !isCount && !isSum && name.length > 7 && name.endsWith('_bucket')
    if (!isCount && !isSum && !isBucket) return undefined
    const base = name.slice(0, name.length - (isCount ? 6 : isSum ? 4 : 7))
    const mf = this.families.get(base)
    if (mf === undefined) return undefined
    if (mf.type === 'summary' && !isBucket) {
      this.role = isCount ? SUMMARY_COUNT : SUMMARY_SUM
      return mf
    }
    if (isHistogram(mf.type)) {
      this.role = isCount ? HISTOGRAM_COUNT : isSum ? HISTOGRAM_SUM : PLAIN
      return mf
    }
    return undefined
  }

  private fail (message: string): never {
    throw new ParseError(`text format parsing error in line ${this.line}: ${message}`)
  }

  /** Reads the next character into `byte` (Go: ReadByte); running out of input is an error. */
  private advance (): void {
    if (this.pos >= this.end) this.failAtEnd()
    this.byte = this.text.charCodeAt(this.pos++)
  }

  private skipBlankTab (): void {
    do this.advance()
    while (this.byte === SPACE || this.byte === TAB)
  }

  private skipBlankTabIfCurrentBlankTab (): void {
    if (this.byte === SPACE || this.byte === TAB) this.skipBlankTab()
  }

  private skipRestOfLine (): void {
    const lf = this.text.indexOf('\n', this.pos)
    if (lf === -1) this.failAtEnd()
    this.pos = lf + 1
    this.byte = LF
  }

  /** Token from the current character up to a blank, tab or newline, which is left in `byte`. */
  private readTokenUntilWhitespace (): void {
    const start = this.pos - 1
    this.skipToWhitespace()
    this.token = this.text.slice(start, this.pos - 1)
  }

  private skipToWhitespace (): void {
    const text = this.text
    let i = this.pos - 1
    let c = this.byte
    while (c !== SPACE && c !== TAB && c !== LF) {
      if (++i >= this.end) this.failAtEnd()
      c = text.charCodeAt(i)
    }
    this.pos = i + 1
    this.byte = c
  }

  /**
   * Token from the current character up to the newline. With escapes (HELP) `\\`, `\n` and `\"`
   * are translated and any other escape is an error; without, backslashes are dropped as in Go.
   */
  private readTokenUntilNewline (escapes: boolean): void {
    const text = this.text
    const start = this.pos - 1
    const lf = text.indexOf('\n', start)
    const stop = lf === -1 ? this.end : lf
    const backslash = indexOfBackslash(text, start, stop)
    if (backslash === -1) {
      if (lf === -1) this.failAtEnd()
      this.token = text.slice(start, lf)
    } else if (escapes) {
      this.token = this.unescapeHelp(start, stop, lf)
    } else {
      if (lf === -1) this.failAtEnd()
      this.token = text.slice(start, lf).replaceAll('\\', '')
    }
    this.pos = lf + 1
    this.byte = LF
  }

  private unescapeHelp (start: number, stop: number, lf: number): string {
    const text = this.text
    let out = ''
    let from = start
    let i = indexOfBackslash(text, start, stop)
    while (i !== -1) {
      out += text.slice(from, i)
      if (i + 1 >= this.end) this.failAtEnd()
      out += this.unescape(text.charCodeAt(i + 1))
      from = i + 2
      i = indexOfBackslash(text, from, stop)
    }
    if (lf === -1) this.failAtEnd()
    return out + text.slice(from, lf)
  }

  private failAtEnd (): never {
    return this.fail('unexpected end of input stream')
  }

  /** A metric name, plain or with quoted parts; the first character not part of it is left in `byte`. */
  private readTokenAsMetricName (): void {
    this.token = ''
    if (!isMetricNameStart(this.byte)) return
    if (this.byte !== QUOTE) {
      const text = this.text
      const start = this.pos - 1
      let i = this.pos
      let c = QUOTE
      while (i < this.end && isMetricNameChar(c = text.charCodeAt(i))) i++
      if (i >= this.end) this.failAtEnd()
      if (c !== QUOTE) {
        this.token = text.slice(start, i)
        this.pos = i + 1
        this.byte = c
        return
      }
    }
    this.readQuotedName(true)
  }

  /** A label name, plain or quoted; the first character not part of it is left in `byte`. */
  private readTokenAsLabelName (): void {
    this.token = ''
    this.tokenQuoted = false
    if (!isLabelNameStart(this.byte)) return
    if (this.byte !== QUOTE) {
      const text = this.text
      const start = this.pos - 1
      let i = this.pos
      let c = QUOTE
      while (i < this.end && isLabelNameChar(c = text.charCodeAt(i))) i++
      if (i >= this.end) this.failAtEnd()
      if (c !== QUOTE) {
        this.token = text.slice(start, i)
        this.pos = i + 1
        this.byte = c
        return
      }
    }
    this.readQuotedName(false)
  }

  /**
   * Go's general name reader, for a name with a quote: plain name characters up to the quote
   * (the fast path checked them), then any characters with `\\`, `\n` and `\"` escapes up to the
   * closing quote, which ends the name.
   */
  private readQuotedName (metric: boolean): void {
    this.tokenQuoted = true
    let quoted = false
    let escaped = false
    let token = ''
    for (;;) {
      const c = this.byte
      if (escaped) {
        token += this.unescape(c)
        escaped = false
      } else if (c === QUOTE) {
        quoted = !quoted
        if (!quoted) {
          this.advance()
          break
        }
      } else if (c === LF) {
        this.fail(`${metric ? 'metric' : 'label'} name ${goQuote(token)} contains unescaped new-line`)
      } else if (c === BACKSLASH) {
        escaped = true
      } else {
        token += String.fromCharCode(c)
      }
      this.advance()
    }
    this.token = token
  }

  /** A label value after its opening quote; the closing quote is left in `byte`. */
  private readTokenAsLabelValue (): void {
    const text = this.text
    const start = this.pos
    let i = start
    let c = QUOTE
    while (i < this.end) {
      c = text.charCodeAt(i)
      if (c === QUOTE || c === BACKSLASH || c === LF) break
      i++
    }
    if (i >= this.end) this.failAtEnd()
    if (c === LF) this.fail(`label value ${goQuote(text.slice(start, i))} contains unescaped new-line`)
    this.pos = i + 1
    this.byte = c
    if (c === QUOTE) {
      this.token = text.slice(start, i)
      return
    }
    let token = text.slice(start, i)
    let escaped = true
    for (;;) {
      this.advance()
      c = this.byte
      if (escaped) {
        token += this.unescape(c)
        escaped = false
      } else if (c === QUOTE) {
        break
      } else if (c === LF) {
        this.fail(`label value ${goQuote(token)} contains unescaped new-line`)
      } else if (c === BACKSLASH) {
        escaped = true
      } else {
        token += String.fromCharCode(c)
      }
    }
    this.token = token
  }

  /** The character the escape sequence `\c` stands for in names, label values and HELP. */
  private unescape (c: number): string {
    if (c === BACKSLASH) return '\\'
    if (c === LOWER_N) return '\n'
    if (c === QUOTE) return '"'
    return this.fail(`invalid escape sequence '\\${firstUtf8ByteAsChar(c)}'`)
  }
}

/** A label set registered with the metric it belongs to; `next` chains label sets with equal hashes. */
interface Registered {
  names: string[]
  values: string[]
  metric: Metric
  next: Registered | undefined
}

/**
 * The summaries or histograms seen so far by label set (Go: a map keyed by LabelsToSignature).
 * Label sets are found by an order-independent hash and then compared, so no key string is built.
 */
class SignatureRegistry {
  // Made for the first summary or histogram line: most bodies have none.
  private byHash: Map<number, Registered> | undefined

  /** The metric registered for the label set, or undefined after registering `metric` for it. */
  findOrAdd (names: string[], values: string[], count: number, metric: Metric): Metric | undefined {
    let hash = 0
    for (let i = 0; i < count; i++) hash = (hash + hashPair(names[i] as string, values[i] as string)) | 0
    const byHash = this.byHash ??= new Map()
    const first = byHash.get(hash)
    for (let entry = first; entry !== undefined; entry = entry.next) {
      if (sameLabelSet(entry, names, values, count)) return entry.metric
    }
    byHash.set(hash, { names: names.slice(0, count), values: values.slice(0, count), metric, next: first })
    return undefined
  }
}

/** FNV-1a over a label name, a separator and its value. */
function hashPair (name: string, value: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193)
  hash = Math.imul(hash ^ 0xffff, 0x01000193)
  for (let i = 0; i < value.length; i++) hash = Math.imul(hash ^ value.charCodeAt(i), 0x01000193)
  return hash
}

/** Whether a registered label set equals the given one; names are unique within each set. */
function sameLabelSet (entry: Registered, names: string[], values: string[], count: number): boolean {
  if (entry.names.length !== count) return false
  for (let i = 0; i < count; i++) {
    const j = entry.names.indexOf(names[i] as string)
    if (j === -1 || entry.values[j] !== values[i]) return false
  }
  return true
}

/** Makes a histogram all-float when any count is a float, as Go's normalizeHistogram does. */
function normalizeHistogram (histogram: Histogram): void {
  let anyFloats = (histogram.sampleCountFloat ?? 0) !== 0
  for (let i = 0; !anyFloats && i < histogram.buckets.length; i++) {
    anyFloats = ((histogram.buckets[i] as Bucket).cumulativeCountFloat ?? 0) !== 0
  }
  if (!anyFloats) return
  if ((histogram.sampleCountFloat ?? 0) === 0) {
    histogram.sampleCountFloat = histogram.sampleCount
    histogram.sampleCount = 0
  }
  for (const bucket of histogram.buckets) {
    if ((bucket.cumulativeCountFloat ?? 0) === 0) {
      bucket.cumulativeCountFloat = bucket.cumulativeCount
      bucket.cumulativeCount = 0
    }
  }
}

function isSummaryOrHistogram (type: MetricType | undefined): boolean {
  return type === 'summary' || type === 'histogram' || type === 'gaugehistogram'
}

function isHistogram (type: MetricType | undefined): boolean {
  return type === 'histogram' || type === 'gaugehistogram'
}

function isLetter (c: number): boolean {
  const lower = c | 0x20
  return lower >= 97 && lower <= 122
}

function isDigit (c: number): boolean {
  return c >= 48 && c <= 57
}

function isLabelNameStart (c: number): boolean {
  return isLetter(c) || c === UNDERSCORE || c === QUOTE
}

function isMetricNameStart (c: number): boolean {
  return isLabelNameStart(c) || c === COLON
}

/** A character that continues an unquoted label name, other than the quote that starts quoting. */
function isLabelNameChar (c: number): boolean {
  return isLetter(c) || c === UNDERSCORE || isDigit(c)
}

function isMetricNameChar (c: number): boolean {
  return isLabelNameChar(c) || c === COLON
}

/** The index of the first backslash in `text` from `start` to before `stop`, or -1. */
function indexOfBackslash (text: string, start: number, stop: number): number {
  for (let i = start; i < stop; i++) {
    if (text.charCodeAt(i) === BACKSLASH) return i
  }
  return -1
}

/**
 * Go's `strconv.ParseFloat(s, 64)` of `s` from `start` to before `end`, as the parser uses it:
 * decimal syntax with optional sign, fraction and exponent, or `inf`/`infinity` (signed) and `nan`,
 * case-insensitive. Hex floats and underscores never pass (the parser refuses `p`, `P` and `_`),
 * nor do values that overflow.
 */
export function parseGoFloat (s: string, start: number, end: number): number | undefined {
  if (start === end) return undefined
  let c = s.charCodeAt(start)
  const negative = c === MINUS
  let i = c === PLUS || negative ? start + 1 : start
  let mantissa = 0
  let sawDigits = false
  let digits = 0
  let fractionDigits = 0
  let sawDot = false
  for (; i < end; i++) {
    c = s.charCodeAt(i)
    if (isDigit(c)) {
      sawDigits = true
      // Leading zeros do not count towards the digits that must fit the exact fast path.
      if (mantissa !== 0 || c !== 48) digits++
      mantissa = mantissa * 10 + (c - 48)
      if (sawDot) fractionDigits++
    } else if (c === DOT && !sawDot) {
      sawDot = true
    } else {
      break
    }
  }
  if (!sawDigits) return parseGoSpecialFloat(s.slice(start, end))
  if (i === end && digits <= 15 && fractionDigits <= 22) {
    // Clinger's fast path: an exact integer below 2^53 divided by an exact power of ten rounds
    // correctly, as strtod does.
    const value = fractionDigits === 0 ? mantissa : mantissa / (POWERS_OF_TEN[fractionDigits] as number)
    return negative ? -value : value
  }
  if (i < end && (c | 0x20) === 101) {
    i++
    if (i < end && (s.charCodeAt(i) === PLUS || s.charCodeAt(i) === MINUS)) i++
    const exponentStart = i
    while (i < end && isDigit(s.charCodeAt(i))) i++
    if (i === exponentStart) return undefined
  }
  if (i !== end) return undefined
  const value = Number(s.slice(start, end))
  // Go reports a range error for values that round to infinity.
  return value === Infinity || value === -Infinity ? undefined : value
}

function parseGoSpecialFloat (s: string): number | undefined {
  const c = s.charCodeAt(0)
  if (c === PLUS || c === MINUS) {
    const sign = c === MINUS ? -1 : 1
    return isInfinityWord(s, 1) ? sign * Infinity : undefined
  }
  if (isInfinityWord(s, 0)) return Infinity
  return asciiLowerEquals(s, 0, 'nan') ? NaN : undefined
}

function isInfinityWord (s: string, from: number): boolean {
  return asciiLowerEquals(s, from, 'inf') || asciiLowerEquals(s, from, 'infinity')
}

/** Whether `s` from `from` to its end equals the lower-case ASCII `word`, ignoring ASCII case. */
function asciiLowerEquals (s: string, from: number, word: string): boolean {
  if (s.length - from !== word.length) return false
  for (let i = 0; i < word.length; i++) {
    const c = s.charCodeAt(from + i)
    const lower = c >= 65 && c <= 90 ? c + 32 : c
    if (lower !== word.charCodeAt(i)) return false
  }
  return true
}

/** Go's `strconv.ParseInt(s, 10, 64)`: optional sign and decimal digits within the int64 range. */
function parseGoInt64 (s: string): number | undefined {
  const n = s.length
  const c = s.charCodeAt(0)
  const negative = c === MINUS
  const start = c === PLUS || negative ? 1 : 0
  if (start === n) return undefined
  let firstNonZero = -1
  for (let i = start; i < n; i++) {
    const d = s.charCodeAt(i)
    if (!isDigit(d)) return undefined
    if (firstNonZero === -1 && d !== 48) firstNonZero = i
  }
  if (firstNonZero !== -1) {
    const digits = n - firstNonZero
    const limit = negative ? INT64_MIN_ABS : INT64_MAX
    if (digits > 19 || (digits === 19 && s.slice(firstNonZero) > limit)) return undefined
  }
  return Number(s) + 0
}

/** Whether Go's `value == float64(uint64(value))` holds: a whole number from 0 below 2^64. */
function isUint64 (value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value < TWO_POW_64
}

/**
 * Go's `uint64(value)` on amd64, as a number: truncation for 0 to 2^64, two's complement for
 * negative values above -2^63 (rounded to the nearest double) and 2^63 for everything else.
 */
function goFloatToUint64 (value: number): number {
  if (value >= 0 && value < TWO_POW_64) return Math.trunc(value)
  if (value < 0 && value > -TWO_POW_63) {
    const truncated = Math.trunc(value)
    return truncated === 0 ? 0 : TWO_POW_64 + truncated
  }
  return TWO_POW_63
}

/** Go's `strings.ToUpper` where it can matter for type names: ASCII, `ı` → I and `ſ` → S. */
function goToUpper (s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 97 && c <= 122) out += String.fromCharCode(c - 32)
    else if (c === 0x131) out += 'I'
    else if (c === 0x17f) out += 'S'
    else out += s[i]
  }
  return out
}

/** The first UTF-8 byte of the character at code `c`, as Go's `%c` prints a byte. */
function firstUtf8ByteAsChar (c: number): string {
  return String.fromCharCode(firstUtf8Byte(c))
}

function firstUtf8Byte (c: number): number {
  if (c < 0x80) return c
  if (c < 0x800) return 0xc0 | (c >> 6)
  if (c >= 0xd800 && c <= 0xdbff) return 0xf0 | ((0x10000 + ((c - 0xd800) << 10)) >> 18)
  return 0xe0 | (c >> 12)
}

/** Go's `%q` of a byte (a rune literal), for the first UTF-8 byte of the character at code `c`. */
function quoteByte (c: number): string {
  const b = firstUtf8Byte(c)
  if (b === 0x27) return "'\\''"
  if (b === QUOTE) return '\'"\''
  return `'${goQuote(String.fromCharCode(b)).slice(1, -1)}'`
}
