/**
 * The object-metadata part of pkg/fieldpath `ExtractFieldPathAsString`, shared by env `fieldRef` and
 * downwardAPI volume files: `metadata.name`, `metadata.namespace`, `metadata.uid`, and one label or annotation
 * (`metadata.labels['k']`, empty when the key is missing).
 * @module
 */
import type { PodSpecObject } from './types';

/**
 * The value of a metadata field path, or `undefined` when `fieldPath` is not one of them.
 *
 * @example
 * metadataFieldValue(pod.metadata, "metadata.labels['app']"); // 'shop'
 * metadataFieldValue(pod.metadata, 'spec.nodeName'); // undefined
 */
export function metadataFieldValue(m: PodSpecObject['metadata'], fieldPath: string): string | undefined {
  const keyed = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (keyed) return (keyed[1] === 'labels' ? m.labels : m.annotations)?.[keyed[2]!] ?? '';
  switch (fieldPath) {
    case 'metadata.name':
      return m.name;
    case 'metadata.namespace':
      return m.namespace ?? 'default';
    case 'metadata.uid':
      return m.uid ?? '';
    default:
      return undefined;
  }
}
