// prom-client is a peer dependency: the service's own copy holds the registry that matters.
import type * as PromClient from 'prom-client'
import type { OpenMetricsContentType, PrometheusContentType, Registry as RegistryOf } from 'prom-client'
import { loadPeer } from './peer.js'

const promClient: typeof PromClient = await loadPeer('prom-client', async () => import('prom-client'), 'its own metrics and the registry it merges into')

export const { Counter, Gauge, Registry, collectDefaultMetrics, register } = promClient

/** A prom-client registry, of either content type (text 0.0.4 or OpenMetrics). */
export type PromRegistry = RegistryOf<PrometheusContentType> | RegistryOf<OpenMetricsContentType>
