/**
 * The `mount(2)` flags the security mount steps use. They are the Linux ABI (<sys/mount.h>), fixed, so
 * the pure planners here need not load the addon (its `native.mountFlags` has the same values).
 * @module
 */
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
