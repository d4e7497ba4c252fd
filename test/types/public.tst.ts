// Type tests of the public API (tstyche): what a TypeScript user may and may not write.
import { describe, expect, test } from 'tstyche'
import express from 'express'
import Fastify from 'fastify'
import { Registry, type OpenMetricsContentType } from 'prom-client'
import {
  Pushgateway, MemoryStore, PushgatewayError, LimitExceededError, AggregationError, AuthorizationError, ReadTimeoutError,
  InvalidOptionError, createLogger, redisStore,
  type Authorize, type AuthorizationContext, type GroupingKey, type Limits, type Logger, type PushgatewayOptions, type MetricStore, type GatewayResponse, type RedisStoreOptions
} from '../../src/index.js'
import { parseMetrics, type MetricFamily } from '../../src/exposition/index.js'
import { pushgateway, type ExpressPushgatewayOptions, type PushgatewayMiddleware } from '../../src/express.js'
import fastifyPushgateway, { type FastifyPushgatewayOptions } from '../../src/fastify.js'
import pino from 'pino'
import { createClient, createCluster, createSentinel } from 'redis'

describe('Pushgateway options', () => {
  test('every option is optional and accepts undefined', () => {
    expect(new Pushgateway()).type.toBe<Pushgateway>()
    expect<PushgatewayOptions>().type.toBeAssignableFrom({ registry: undefined, bodyLimit: undefined, limits: undefined, logger: undefined, now: undefined })
  })

  test('registry takes a text or an OpenMetrics prom-client registry', () => {
    expect<PushgatewayOptions>().type.toBeAssignableFrom({ registry: new Registry() })
    expect<PushgatewayOptions>().type.toBeAssignableFrom({ registry: new Registry<OpenMetricsContentType>() })
    expect<PushgatewayOptions>().type.not.toBeAssignableFrom({ registry: {} })
  })

  test('a misspelt option is a compile error', () => {
    expect<PushgatewayOptions>().type.not.toBeAssignableFrom({ bodylimit: 1024 })
    expect<Limits>().type.not.toBeAssignableFrom({ seriesPerGroups: 1 })
  })

  test('a pino logger, such as fastify.log, is a Logger', () => {
    expect<Logger>().type.toBeAssignableFrom(pino())
    expect<Logger>().type.toBeAssignableFrom(Fastify().log)
    expect<Logger>().type.toBeAssignableFrom(createLogger())
    expect<Logger>().type.not.toBeAssignableFrom({ info: (msg: number) => msg })
  })

  test('the authorize hook sees the action and a grouping key with its labels', () => {
    const authorize: Authorize = ({ action, key }: AuthorizationContext) => {
      expect(action).type.toBe<'push' | 'delete' | 'wipe' | 'read' | 'quit'>()
      expect(key).type.toBe<Required<GroupingKey> | undefined>()
      return key?.labels['instance'] === 'db1'
    }
    expect<PushgatewayOptions>().type.toBeAssignableFrom({ authorize })
    expect<Authorize>().type.toBeAssignableFrom(async () => ({ status: 401 as const, message: 'no' }))
    expect<Authorize>().type.not.toBeAssignableFrom(() => ({ status: 500 }))
  })
})

describe('the core API', () => {
  const gateway = new Pushgateway()

  test('push, aggregate and delete take one GroupingKey, labels optional', () => {
    expect(gateway.push({ job: 'a' }, 'm 1\n')).type.toBe<Promise<void>>()
    expect(gateway.push({ job: 'a', labels: { instance: 'x' } }, Buffer.from('m 1\n'), { replace: false })).type.toBe<Promise<void>>()
    expect(gateway.aggregate({ job: 'a' }, 'm 1\n', { writer: 'w' })).type.toBe<Promise<void>>()
    expect(gateway.delete({ job: 'a' })).type.toBe<Promise<void>>()
    expect(gateway.push).type.not.toBeCallableWith({ labels: {} }, 'm 1\n')
  })

  test('handle answers a GatewayResponse; metrics a string', () => {
    expect(gateway.handle({ method: 'GET', url: '/metrics', headers: {} })).type.toBe<Promise<GatewayResponse>>()
    expect(gateway.metrics({ format: 'openmetrics' })).type.toBe<Promise<string>>()
  })

  test('the store is a MemoryStore or any MetricStore', () => {
    expect(gateway.store).type.toBe<MetricStore>()
    expect<MetricStore>().type.toBeAssignableFrom(new MemoryStore())
  })

  test('every error class is a PushgatewayError with code, statusCode, status and expose', () => {
    for (const error of [new LimitExceededError('series', 1, 'm', 429), new AggregationError('m'), new AuthorizationError(403, 'm'), new ReadTimeoutError(1)]) {
      expect(error).type.toBeAssignableTo<PushgatewayError>()
    }
    expect<PushgatewayError['statusCode']>().type.toBe<number>()
    expect<PushgatewayError['status']>().type.toBe<number>()
    expect<PushgatewayError['expose']>().type.toBe<boolean>()
    expect(new InvalidOptionError('x', 'y', 1)).type.toBeAssignableTo<TypeError>()
  })

  test('the exposition subpath parses into MetricFamily', () => {
    expect(parseMetrics('m 1\n')).type.toBe<MetricFamily[]>()
  })
})

describe('Express', () => {
  test('the middleware mounts with app.use and carries its gateway', () => {
    const middleware = pushgateway({ errorHandling: 'next' })
    expect(middleware).type.toBe<PushgatewayMiddleware>()
    expect(middleware.gateway).type.toBe<Pushgateway>()
    expect(express().use).type.toBeCallableWith('/pushgateway', middleware)
    expect(express.Router().use).type.toBeCallableWith(middleware)
  })

  test('its options: the core options, gateway and errorHandling', () => {
    expect<ExpressPushgatewayOptions>().type.toBeAssignableFrom({ gateway: new Pushgateway(), errorHandling: 'respond' as const })
    expect<ExpressPushgatewayOptions>().type.toBeAssignableFrom({ bodyLimit: 1024, errorHandling: undefined })
    expect<ExpressPushgatewayOptions>().type.not.toBeAssignableFrom({ errorHandling: 'throw' })
  })
})

describe('Fastify', () => {
  test('register takes the plugin with its options; app.pushgateway is the instance', async () => {
    const app = Fastify()
    expect(app.register).type.toBeCallableWith(fastifyPushgateway, { prefix: '/pushgateway', errorHandling: 'next' as const })
    expect(app.register).type.not.toBeCallableWith(fastifyPushgateway, { prefix: 5 })
    expect(app.pushgateway).type.toBe<Pushgateway>()
  })

  test('its options: the core options, gateway, prefix and errorHandling', () => {
    expect<FastifyPushgatewayOptions>().type.toBeAssignableFrom({ gateway: new Pushgateway(), prefix: '/pgw' })
    expect<FastifyPushgatewayOptions>().type.not.toBeAssignableFrom({ errorHandling: 'throw' })
  })
})

describe('redisStore', () => {
  test('takes a node-redis client, sentinel or cluster, and nothing else', () => {
    expect<RedisStoreOptions>().type.toBeAssignableFrom({ client: createClient() })
    expect<RedisStoreOptions>().type.toBeAssignableFrom({ client: createSentinel({ name: 'primary', sentinelRootNodes: [] }) })
    expect<RedisStoreOptions>().type.toBeAssignableFrom({ client: createCluster({ rootNodes: [] }) })
    expect<RedisStoreOptions>().type.not.toBeAssignableFrom({ client: {} })
    expect(redisStore).type.not.toBeCallableWith({ client: createClient(), prefx: 'x' })
  })
})
