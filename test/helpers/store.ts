import { textParser } from '../../src/exposition/parse-text.js'
import { ValueRecord, textTemplate } from '../../src/exposition/text-template.js'
import type { AggregateWrite, MetricStore, PushWrite } from '../../src/store/store.js'
import { prepareFamilies } from '../../src/groups/sanitize.js'

/** Pushes a text body to a group of the store at a given time (seconds), with its template (see `textTemplate`) when `template` is true. */
export async function pushText (store: MetricStore, labels: Record<string, string>, text: string, options: { replace?: boolean, at?: number, template?: boolean } = {}): Promise<void> {
  const record = new ValueRecord()
  const parser = textParser(text, undefined, 'legacy', record)
  parser.parseSlice(Infinity)
  const families = await prepareFamilies(parser.result(), labels)
  const template = options.template === true ? textTemplate(text, record, families) : undefined
  await store.push({ labels, families, replace: options.replace ?? true, timeNs: seconds(options.at), template })
}

/** Hands a store a text body that may repeat the group's last push (see `MetricStore.repeat`) at a given time (seconds). */
export async function repeatText (store: MetricStore, labels: Record<string, string>, text: string, options: { replace?: boolean, at?: number } = {}): Promise<boolean> {
  return await (store.repeat as NonNullable<MetricStore['repeat']>)({ labels, text, replace: options.replace ?? true, timeNs: seconds(options.at) })
}

function seconds (at = 1): bigint {
  return BigInt(at) * 1_000_000_000n
}

/** Pushes families to a store as the gateway does: prepared first. */
export async function pushPrepared (store: MetricStore, write: PushWrite): Promise<void> {
  await store.push({ ...write, families: await prepareFamilies(write.families, write.labels) })
}

/** Adds an aggregate push to a store as the gateway does: prepared first. */
export async function aggregatePrepared (store: MetricStore, write: AggregateWrite): Promise<void> {
  await store.aggregate({ ...write, families: await prepareFamilies(write.families, write.labels) })
}
