/**
 * downwardAPI volume files (pkg/volume/downwardapi `CollectData`, pkg/fieldpath `ExtractFieldPathAsString`):
 * metadata.name, namespace, uid, one label or annotation (`metadata.labels['k']`), or all of them as the kubelet
 * formats them (`FormatMap`: `key="value"` lines sorted by key, the value quoted as Go's strconv.Quote, no final
 * newline); resourceFieldRef values as for env (resource-field.ts, unset limits from the node's allocatable).
 * @module
 */
import type { FileProjection } from './atomic-writer';
import { ContainerConfigError } from './container-config-error';
import { metadataFieldValue } from './metadata-field';
import type { NodeAllocatable } from './node-allocatable';
import { type ResourceFieldSpec, resourceFieldValue } from './resource-field';
import type { PodSpecObject } from './types';

/** A v1 DownwardAPIVolumeFile. */
export interface DownwardFileSpec {
  path: string;
  fieldRef?: { fieldPath: string; apiVersion?: string };
  resourceFieldRef?: ResourceFieldSpec;
  mode?: number;
}

const shortEscapes: Record<number, string> = {
  0x07: '\\a',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x0b: '\\v',
  0x5c: '\\\\',
  0x22: '\\"',
};

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * A string quoted as Go's `strconv.Quote`: `\a \b \f \n \r \t \v \\ \"`, other ASCII controls and DEL as `\xNN`,
 * other non-printable characters as `\uNNNN` or `\UNNNNNNNN`; printable Unicode is kept.
 *
 * @example
 * goQuote('a"b\n'); // '"a\\"b\\n"'
 */
export function goQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (shortEscapes[code] !== undefined) out += shortEscapes[code];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x80 || printable.test(ch)) out += ch;
    else if (code >= 0xd800 && code <= 0xdfff)
      out += '\uFFFD'; // a lone surrogate: written as U+FFFD, printable
    else if (code <= 0xffff) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/**
 * `FormatMap`: `key="value"` lines sorted by key (byte order), without a final newline.
 *
 * @example
 * formatMap({ tier: 'web', app: 'shop' }); // 'app="shop"\ntier="web"'
 */
export function formatMap(map: Record<string, string> | undefined): string {
  const keys = Object.keys(map ?? {}).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return keys.map((k) => `${k}=${goQuote(map![k]!)}`).join('\n');
}

/**
 * The content of a downwardAPI file's `fieldRef` (`ExtractFieldPathAsString`).
 *
 * @example
 * volumeFieldValue(pod, "metadata.labels['app']"); // 'shop'
 */
export function volumeFieldValue(pod: PodSpecObject, fieldPath: string): string {
  if (fieldPath === 'metadata.annotations') return formatMap(pod.metadata.annotations);
  if (fieldPath === 'metadata.labels') return formatMap(pod.metadata.labels);
  const value = metadataFieldValue(pod.metadata, fieldPath);
  if (value === undefined) throw new ContainerConfigError(`unsupported fieldPath: ${fieldPath}`);
  return value;
}

/**
 * `CollectData`: the files of a downwardAPI volume (or projected source), each with its mode or `defaultMode`.
 *
 * @example
 * collectDownwardAPI([{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }], pod, 0o644, node);
 * // Map { 'labels' => { data: 'app="shop"', mode: 0o644 } }
 */
export function collectDownwardAPI(
  items: readonly DownwardFileSpec[],
  pod: PodSpecObject,
  defaultMode: number,
  node: NodeAllocatable,
): Map<string, FileProjection> {
  const out = new Map<string, FileProjection>();
  for (const item of items) {
    let data = '';
    if (item.fieldRef !== undefined) data = volumeFieldValue(pod, item.fieldRef.fieldPath);
    else if (item.resourceFieldRef !== undefined)
      data = resourceFieldValue(pod, item.resourceFieldRef, undefined, node, 'volume');
    out.set(item.path, { data, mode: item.mode ?? defaultMode });
  }
  return out;
}
