/**
 * IPv4 and IPv6 ranges as numbers (bigint for both families): parsing, formatting, overlap. Pure.
 * @module
 */
import net from 'node:net';
import { PodOptionError } from '../errors';

/** A parsed range such as `10.88.0.0/16`. */
export interface Cidr {
  family: 4 | 6;
  /** The network address (host bits zero). */
  network: bigint;
  prefix: number;
}

const bitsOf = (family: 4 | 6): number => (family === 4 ? 32 : 128);

/**
 * An address's value.
 *
 * @example
 * addressValue('10.0.0.1'); // 167772161n
 */
export function addressValue(address: string): bigint {
  const family = net.isIP(address);
  if (family === 4) return address.split('.').reduce((value, part) => (value << 8n) | BigInt(part), 0n);
  if (family !== 6) throw new PodOptionError('address', 'an IPv4 or IPv6 address', address);
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const groups = (text: string) => (text === '' ? [] : text.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  if (right.length > 0 && right[right.length - 1]!.includes('.')) {
    const v4 = addressValue(right.pop()!);
    right.push((v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16));
  }
  const all = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return all.reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

/**
 * The text of an address value (IPv6 in its shortest form, as `ip` prints it).
 *
 * @example
 * formatAddress(4, 167772161n); // '10.0.0.1'
 */
export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => (value >> shift) & 0xffffn);
  // The longest run of two or more zero groups becomes '::' (RFC 5952).
  let best = { at: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0n) j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.length).join(':')}`;
}

/**
 * Parses `10.88.0.0/16` or `fd00::/64`; host bits must be zero, so a typo is not silently widened.
 *
 * @example
 * parseCidr('10.88.0.0/16', '--cidr'); // { family: 4, network: 173539328n, prefix: 16 }
 */
export function parseCidr(text: string, option: string): Cidr {
  const slash = typeof text === 'string' ? text.indexOf('/') : -1;
  const address = slash < 0 ? '' : text.slice(0, slash);
  const prefixText = slash < 0 ? '' : text.slice(slash + 1);
  const family = net.isIP(address);
  if (family === 0 || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bitsOf(family as 4 | 6)) {
    throw new PodOptionError(option, 'a range like 10.88.0.0/16 or fd00::/64', text);
  }
  const cidr: Cidr = { family: family as 4 | 6, network: addressValue(address), prefix: Number(prefixText) };
  const masked = cidr.network & mask(cidr);
  if (masked !== cidr.network) {
    throw new PodOptionError(
      option,
      `a network address with no host bits (${formatCidr({ ...cidr, network: masked })}?)`,
      text,
    );
  }
  return cidr;
}

/**
 * The range an interface address lies in.
 *
 * @example
 * formatCidr(rangeOf('10.88.0.1', 16)); // '10.88.0.0/16'
 */
export function rangeOf(address: string, prefix: number): Cidr {
  const family = net.isIP(address) as 4 | 6;
  return { family, network: addressValue(address) & mask({ family, prefix }), prefix };
}

/** `10.88.0.0/16`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.network)}/${cidr.prefix}`;
}

function mask(cidr: Pick<Cidr, 'family' | 'prefix'>): bigint {
  const bits = BigInt(bitsOf(cidr.family));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(cidr.prefix))) - 1n);
}

/** The range's last address (IPv4: its broadcast). */
export function lastAddress(cidr: Cidr): bigint {
  return cidr.network | (((1n << BigInt(bitsOf(cidr.family))) - 1n) & ~mask(cidr));
}

/** Whether two ranges of the same family share an address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const wider = a.prefix <= b.prefix ? a : b;
  const narrower = wider === a ? b : a;
  return (narrower.network & mask(wider)) === wider.network;
}
