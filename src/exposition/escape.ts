import type { LabelPair, Metric, MetricFamily } from './types.js'
import { exposedName, type EscapingScheme } from './names.js'

/**
 * The labels as a scrape that negotiated `scheme` shows them: each name through `exposedName`,
 * values and order kept. Answers the same array when no name changes (always under `allow-utf-8`).
 */
export function escapeLabels (labels: readonly LabelPair[], scheme: EscapingScheme): readonly LabelPair[] {
  if (scheme === 'allow-utf-8') return labels
  let out: LabelPair[] | undefined
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as LabelPair
    const name = exposedName(label.name, scheme)
    if (name === label.name && out === undefined) continue
    out ??= labels.slice(0, i)
    out.push(name === label.name ? label : { name, value: label.value })
  }
  return out ?? labels
}

/** The metric with its labels escaped by {@link escapeLabels} (exemplar labels are kept, as expfmt does); the same object when nothing changes. */
export function escapeMetric (metric: Metric, scheme: EscapingScheme): Metric {
  const labels = escapeLabels(metric.labels, scheme)
  return labels === metric.labels ? metric : { ...metric, labels: labels as LabelPair[] }
}

/**
 * The family as a scrape that negotiated `scheme` shows it, as expfmt's `EscapeMetricFamily`: its
 * name and its metrics' label names escaped. The same object when nothing changes.
 */
export function escapeFamily (family: MetricFamily, scheme: EscapingScheme): MetricFamily {
  if (scheme === 'allow-utf-8') return family
  const name = exposedName(family.name, scheme)
  let metrics: Metric[] | undefined
  for (let i = 0; i < family.metrics.length; i++) {
    const metric = family.metrics[i] as Metric
    const escaped = escapeMetric(metric, scheme)
    if (escaped === metric && metrics === undefined) continue
    metrics ??= family.metrics.slice(0, i)
    metrics.push(escaped)
  }
  if (name === family.name && metrics === undefined) return family
  return { ...family, name, metrics: metrics ?? family.metrics }
}
