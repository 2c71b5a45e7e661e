/**
 * Manifest quantities in the integer units the kubelet computes with: milli-CPU (`MilliValue`, rounded up) and
 * bytes (`Value`, rounded up).
 * @module
 */
import { parseQuantity } from '../manifest/quantity';
import type { Quantity } from '../manifest/types';

/**
 * CPU in milli-cores, rounded up as `Quantity.MilliValue` does; 0 when unset.
 *
 * @example
 * milliCPU('250m'); // 250
 * milliCPU('1.5'); // 1500
 * milliCPU(undefined); // 0
 */
export function milliCPU(quantity: Quantity | undefined): number {
  if (quantity === undefined) return 0;
  // parseQuantity gives cores as a float; round to nano-cores first so 0.1 * 1000 does not become 100.00000000000001.
  return Math.ceil(Math.round(parseQuantity(quantity) * 1e9) / 1e6);
}

/**
 * A byte quantity (memory, hugepages, storage) as an integer, rounded up as `Quantity.Value` does; 0 when unset.
 *
 * @example
 * bytes('64Mi'); // 67108864
 * bytes('1G'); // 1000000000
 */
export function bytes(quantity: Quantity | undefined): number {
  if (quantity === undefined) return 0;
  return Math.ceil(parseQuantity(quantity));
}
