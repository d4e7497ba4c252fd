import { parseText } from '../../src/exposition/parse-text.js'
import type { AggregateWrite, MetricStore, PushWrite } from '../../src/store/store.js'
import { prepareFamilies } from '../../src/groups/sanitize.js'

/** Pushes a text body to a group of the store at a given time (seconds). */
export async function pushText (store: MetricStore, labels: Record<string, string>, text: string, options: { replace?: boolean, at?: number } = {}): Promise<void> {
  await store.push({ labels, families: await prepareFamilies(parseText(text), labels), replace: options.replace ?? true, timeNs: BigInt(options.at ?? 1) * 1_000_000_000n })
}

/** Pushes families to a store as the gateway does: prepared first. */
export async function pushPrepared (store: MetricStore, write: PushWrite): Promise<void> {
  await store.push({ ...write, families: await prepareFamilies(write.families, write.labels) })
}

/** Adds an aggregate push to a store as the gateway does: prepared first. */
export async function aggregatePrepared (store: MetricStore, write: AggregateWrite): Promise<void> {
  await store.aggregate({ ...write, families: await prepareFamilies(write.families, write.labels) })
}
