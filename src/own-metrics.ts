import type { Counter as CounterType, Registry, Summary as SummaryType } from 'prom-client'
import { Counter, Gauge, Summary } from './prom-client.js'
import type { MetricType } from './exposition/types.js'
import type { MetricStore } from './store/store.js'

const OBJECTIVES = [0.1, 0.5, 0.9]

/** The gateway's own metrics, registered in a prom-client registry (shared when already there). */
export class GatewayMetrics {
  /** `pushgateway_http_requests_total{code,handler,method}`: requests served, scrapes excluded. */
  readonly requests: CounterType<'code' | 'handler' | 'method'>
  /** `pushgateway_http_push_duration_seconds{method}`: time to handle a push. */
  readonly pushDuration: SummaryType<'method'>
  /** `pushgateway_http_push_size_bytes{method}`: approximate size of push requests. */
  readonly pushSize: SummaryType<'method'>
  /** `pushgateway_groups_expired_total`: groups removed because their TTL passed. */
  readonly groupsExpired: CounterType

  /** `expire` runs before the store's size is read, so that expired groups are not counted. */
  constructor (registry: Registry, store: MetricStore, expire: () => unknown) {
    this.requests = reuse(registry, 'pushgateway_http_requests_total', () => new Counter({
      name: 'pushgateway_http_requests_total',
      help: 'Total HTTP requests processed by the Pushgateway, excluding scrapes.',
      labelNames: ['code', 'handler', 'method'],
      registers: [registry]
    }))
    this.pushDuration = reuse(registry, 'pushgateway_http_push_duration_seconds', () => new Summary({
      name: 'pushgateway_http_push_duration_seconds',
      help: 'HTTP request duration for pushes to the Pushgateway.',
      labelNames: ['method'],
      percentiles: OBJECTIVES,
      registers: [registry]
    }))
    this.pushSize = reuse(registry, 'pushgateway_http_push_size_bytes', () => new Summary({
      name: 'pushgateway_http_push_size_bytes',
      help: 'HTTP request size for pushes to the Pushgateway.',
      labelNames: ['method'],
      percentiles: OBJECTIVES,
      registers: [registry]
    }))
    this.groupsExpired = reuse(registry, 'pushgateway_groups_expired_total', () => new Counter({
      name: 'pushgateway_groups_expired_total',
      help: 'Total groups removed from the Pushgateway because their TTL passed.',
      registers: [registry]
    }))
    reuse(registry, 'pushgateway_groups', () => new Gauge({
      name: 'pushgateway_groups',
      help: 'Number of groups stored in the Pushgateway.',
      registers: [registry],
      async collect () {
        await expire()
        this.set((await store.size()).groups)
      }
    }))
    reuse(registry, 'pushgateway_series', () => new Gauge({
      name: 'pushgateway_series',
      help: 'Number of series stored in the Pushgateway, push timestamps included.',
      registers: [registry],
      async collect () { this.set((await store.size()).series) }
    }))
  }
}

/** The type of a metric registered in `registry` under `name`, if there is one. */
export function registeredType (registry: Registry, name: string): MetricType | undefined {
  const metric = registry.getSingleMetric(name) as { type?: MetricType } | undefined
  return metric?.type
}

// Several gateways may share one registry (prom-client throws on a second registration).
function reuse<T> (registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}
