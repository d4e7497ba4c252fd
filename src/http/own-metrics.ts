import type { Counter as CounterType } from 'prom-client'
import { Counter, Gauge, type PromRegistry } from '../prom-client.js'
import { SketchSummary, type SummaryObserver } from './sketch-summary.js'
import type { Metric, MetricFamily, MetricType } from '../exposition/types.js'
import type { MetricStore, StoreSize } from '../store/store.js'

const OBJECTIVES = [0.1, 0.5, 0.9]

/** The gateway's own metrics, registered in a prom-client registry (shared when already there). */
export class GatewayMetrics {
  /** `pushgateway_http_requests_total{code,handler,method}`: requests served, scrapes excluded. */
  readonly requests: CounterType<'code' | 'handler' | 'method'>
  /** `pushgateway_http_push_duration_seconds{method}`: time to handle a push. */
  readonly pushDuration: SummaryObserver
  /** `pushgateway_http_push_size_bytes{method}`: approximate size of push requests. */
  readonly pushSize: SummaryObserver
  /** `pushgateway_groups_expired_total`: groups removed because their TTL passed. */
  readonly groupsExpired: CounterType

  /** `expire` runs before the store's size is read, so that expired groups are not counted. */
  constructor (registry: PromRegistry, store: MetricStore, expire: () => unknown) {
    this.requests = reuse(registry, 'pushgateway_http_requests_total', () => new Counter({
      name: 'pushgateway_http_requests_total',
      help: 'Total HTTP requests processed by the Pushgateway, excluding scrapes.',
      labelNames: ['code', 'handler', 'method'],
      registers: [registry]
    }))
    this.pushDuration = reuse(registry, 'pushgateway_http_push_duration_seconds', () => new SketchSummary({
      name: 'pushgateway_http_push_duration_seconds',
      help: 'HTTP request duration for pushes to the Pushgateway.',
      labelName: 'method',
      quantiles: OBJECTIVES,
      registry
    }))
    this.pushSize = reuse(registry, 'pushgateway_http_push_size_bytes', () => new SketchSummary({
      name: 'pushgateway_http_push_size_bytes',
      help: 'HTTP request size for pushes to the Pushgateway.',
      labelName: 'method',
      quantiles: OBJECTIVES,
      registry
    }))
    this.groupsExpired = reuse(registry, 'pushgateway_groups_expired_total', () => new Counter({
      name: 'pushgateway_groups_expired_total',
      help: 'Total groups removed from the Pushgateway because their TTL passed.',
      registers: [registry]
    }))
    this.size = async () => {
      await expire()
      return store.size()
    }
    const gateways = gatewaysOf(registry)
    this.#self = new WeakRef(this)
    gateways.add(this.#self)
    this.#gateways = gateways
    reuse(registry, GROUPS, () => new Gauge({
      name: GROUPS,
      help: 'Number of groups stored in the Pushgateway.',
      registers: [registry],
      async collect () { this.set((await totalSize(gateways)).groups) }
    }))
    reuse(registry, SERIES, () => new Gauge({
      name: SERIES,
      help: 'Number of series stored in the Pushgateway, push timestamps included.',
      registers: [registry],
      async collect () { this.set((await totalSize(gateways)).series) }
    }))
  }

  /** The size of this gateway's store, after expiring what is due. */
  readonly size: () => Promise<StoreSize>
  readonly #self: WeakRef<GatewayMetrics>
  readonly #gateways: Set<WeakRef<GatewayMetrics>>

  /**
   * Registers `pushgateway_persistence_failures_total` and
   * `pushgateway_persistence_last_success_timestamp_seconds`, and answers what counts a write's
   * outcome in them (`undefined` for a success, the error otherwise).
   */
  persistence (registry: PromRegistry, nowSeconds: () => number): (error: unknown) => void {
    const failures = reuse(registry, 'pushgateway_persistence_failures_total', () => new Counter({
      name: 'pushgateway_persistence_failures_total',
      help: 'Total writes of the persistence file that failed.',
      registers: [registry]
    }))
    const lastSuccess = reuse(registry, 'pushgateway_persistence_last_success_timestamp_seconds', () => new Gauge({
      name: 'pushgateway_persistence_last_success_timestamp_seconds',
      help: 'Unix time of the last write of the persistence file that succeeded, 0 if none did.',
      registers: [registry]
    }))
    return error => {
      if (error === undefined) lastSuccess.set(nowSeconds())
      else failures.inc()
    }
  }

  /** Leaves the registry's totals (the counters stay: they count what was served). */
  detach (): void {
    this.#gateways.delete(this.#self)
  }

  /**
   * The registry's families with `pushgateway_groups` and `pushgateway_series` set to this
   * gateway's own numbers: the registry holds the sum over the gateways that share it.
   */
  async ownView (families: MetricFamily[]): Promise<MetricFamily[]> {
    const size = await this.size()
    return families.map(family => {
      if (family.name !== GROUPS && family.name !== SERIES) return family
      return { ...family, metrics: [{ labels: (family.metrics[0] as Metric).labels, value: family.name === GROUPS ? size.groups : size.series }] }
    })
  }
}

const GROUPS = 'pushgateway_groups'
const SERIES = 'pushgateway_series'
// The gateways whose stores each registry's size gauges add up; weakly held, so that a gateway
// dropped without close() is not kept alive by the registry it reported to.
const byRegistry = new WeakMap<PromRegistry, Set<WeakRef<GatewayMetrics>>>()

function gatewaysOf (registry: PromRegistry): Set<WeakRef<GatewayMetrics>> {
  let gateways = byRegistry.get(registry)
  if (gateways === undefined) {
    gateways = new Set()
    byRegistry.set(registry, gateways)
  }
  return gateways
}

async function totalSize (gateways: Set<WeakRef<GatewayMetrics>>): Promise<StoreSize> {
  const total = { groups: 0, series: 0 }
  for (const ref of gateways) {
    const gateway = ref.deref()
    if (gateway === undefined) {
      gateways.delete(ref)
      continue
    }
    const size = await gateway.size()
    total.groups += size.groups
    total.series += size.series
  }
  return total
}

/** The type of a metric registered in `registry` under `name`, if there is one. */
export function registeredType (registry: PromRegistry, name: string): MetricType | undefined {
  const metric = registry.getSingleMetric(name) as { type?: MetricType } | undefined
  return metric?.type
}

// Several gateways may share one registry (prom-client throws on a second registration).
function reuse<T> (registry: PromRegistry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}
