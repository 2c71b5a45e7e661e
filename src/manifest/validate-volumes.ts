/**
 * `spec.volumes` checks (`ValidateVolumes`, `validateVolumeSource`): names, one source each, and the sources pod-init
 * can mount (emptyDir, hostPath, configMap, secret; downwardAPI, projected and PVC names as the API server checks
 * them).
 * @module
 */
import path from 'node:path';
import { at, child, duplicate, forbidden, invalid, required, unsupported, type FieldError } from './field-error';
import { isDNS1123Label } from './formats';
import { tryParseQuantity } from './quantity';
import type { DownwardAPIVolumeFile, KeyToPath, ProjectedVolumeSource, Volume } from './types';
import { validateObjectFieldSelector, validateResourceFieldSelector, volumeFieldPaths } from './validate-env';

/** Volume source fields, in the order the API server looks at them. */
export const volumeSources = [
  'emptyDir',
  'hostPath',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flocker',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'quobyte',
  'downwardAPI',
  'fc',
  'flexVolume',
  'configMap',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'projected',
  'scaleIO',
  'csi',
  'ephemeral',
  'image',
] as const satisfies readonly (keyof Volume)[];

const hostPathTypes = [
  '',
  'DirectoryOrCreate',
  'Directory',
  'FileOrCreate',
  'File',
  'Socket',
  'CharDevice',
  'BlockDevice',
];
const fileModeError = 'must be a number between 0 and 0777 (octal), both inclusive';

/**
 * `validatePathNoBacksteps`: no `..` element.
 *
 * @example
 * noBacksteps('a/../b', 'subPath'); // subPath: Invalid value: "a/../b": must not contain '..'
 */
export function noBacksteps(target: string, field: string): FieldError[] {
  return target.split('/').includes('..') ? [invalid(field, target, "must not contain '..'")] : [];
}

/**
 * `validateLocalDescendingPath`: relative, without `..` elements (subPath, item paths).
 *
 * @example
 * localDescendingPath('/etc', 'subPath'); // subPath: Invalid value: "/etc": must be a relative path
 */
export function localDescendingPath(target: string, field: string): FieldError[] {
  const errors = path.isAbsolute(target) ? [invalid(field, target, 'must be a relative path')] : [];
  return [...errors, ...noBacksteps(target, field)];
}

function localNonReservedPath(target: string, field: string): FieldError[] {
  const errors = localDescendingPath(target, field);
  if (target.startsWith('..') && !target.startsWith('../'))
    errors.push(invalid(field, target, "must not start with '..'"));
  return errors;
}

function validateMode(mode: number | undefined, field: string): FieldError[] {
  return mode !== undefined && (mode < 0 || mode > 0o777) ? [invalid(field, mode, fileModeError)] : [];
}

function validateItems(items: readonly KeyToPath[] | undefined, p: string): FieldError[] {
  const errors: FieldError[] = [];
  (items ?? []).forEach((kp, i) => {
    const ip = at(child(p, 'items'), i);
    if (kp.key === '') errors.push(required(child(ip, 'key')));
    if (kp.path === '') errors.push(required(child(ip, 'path')));
    errors.push(...localNonReservedPath(kp.path, child(ip, 'path')), ...validateMode(kp.mode, child(ip, 'mode')));
  });
  return errors;
}

function validateProjected(src: ProjectedVolumeSource, p: string, hasServiceAccount: boolean): FieldError[] {
  const errors = validateMode(src.defaultMode, child(p, 'defaultMode'));
  const paths = new Set<string>();
  const claim = (file: string, what: string): void => {
    if (file === '') return;
    if (paths.has(file)) errors.push(invalid(p, what, 'conflicting duplicate paths'));
    paths.add(file);
  };
  (src.sources ?? []).forEach((s, i) => {
    const sp = at(child(p, 'sources'), i);
    let count = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      const ref = s[kind];
      if (ref === undefined) continue;
      count++;
      if ((ref.name ?? '') === '') errors.push(required(child(child(sp, kind), 'name')));
      errors.push(...validateItems(ref.items, child(sp, kind)));
      for (const item of ref.items ?? []) claim(item.path, ref.name ?? '');
    }
    if (s.downwardAPI !== undefined) {
      count++;
      for (const file of s.downwardAPI.items ?? []) {
        errors.push(...validateDownwardFile(file, child(sp, 'downwardAPI')));
        claim(file.path, file.path);
      }
    }
    if (s.serviceAccountToken !== undefined) {
      count++;
      const tp = child(sp, 'serviceAccountToken');
      const seconds = s.serviceAccountToken.expirationSeconds ?? 3600;
      if (seconds < 600)
        errors.push(
          invalid(child(tp, 'expirationSeconds'), seconds, 'may not specify a duration less than 10 minutes'),
        );
      if (seconds > 2 ** 32)
        errors.push(
          invalid(child(tp, 'expirationSeconds'), seconds, 'may not specify a duration larger than 2^32 seconds'),
        );
      if (s.serviceAccountToken.path === '') errors.push(required(child(p, 'path')));
      else errors.push(...localNonReservedPath(s.serviceAccountToken.path, child(p, 'path')));
      if (!hasServiceAccount) errors.push(forbidden(tp, 'must not be specified when serviceAccountName is not set'));
    }
    if (s.clusterTrustBundle !== undefined) count++;
    if (s.podCertificate !== undefined) count++;
    if (count > 1) errors.push(forbidden(sp, 'may not specify more than 1 volume type per source'));
  });
  return errors;
}

function validateDownwardFile(file: DownwardAPIVolumeFile, p: string): FieldError[] {
  const errors: FieldError[] = [];
  if (file.path === '') errors.push(required(child(p, 'path')));
  errors.push(...localNonReservedPath(file.path, child(p, 'path')));
  if (file.fieldRef !== undefined) {
    errors.push(...validateObjectFieldSelector(file.fieldRef, volumeFieldPaths, child(p, 'fieldRef')));
    if (file.resourceFieldRef !== undefined) {
      errors.push(invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    }
  } else if (file.resourceFieldRef !== undefined) {
    errors.push(...validateResourceFieldSelector(file.resourceFieldRef, child(p, 'resourceFieldRef'), true));
  } else {
    errors.push(required(p, 'one of fieldRef and resourceFieldRef is required'));
  }
  return [...errors, ...validateMode(file.mode, child(p, 'mode'))];
}

/** Checks the one source a volume has, for the sources pod-init reads. */
function validateSource(vol: Volume, p: string, hasServiceAccount: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const set = volumeSources.filter((s) => vol[s] !== undefined);
  for (const extra of set.slice(1)) errors.push(forbidden(child(p, extra), 'may not specify more than 1 volume type'));
  // No source at all is not an error: defaulting made it an emptyDir.
  const source = set[0];
  if (vol.emptyDir !== undefined && source === 'emptyDir') {
    const ep = child(p, 'emptyDir');
    const limit = vol.emptyDir.sizeLimit;
    if (limit !== undefined) {
      const parsed = tryParseQuantity(limit);
      if (parsed.ok && parsed.value < 0)
        errors.push(forbidden(child(ep, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
    }
    const medium = vol.emptyDir.medium ?? '';
    // The API server leaves medium to the kubelet, which fails the mount; pod-init says so up front.
    if (!['', 'Memory'].includes(medium) && !/^HugePages(-.+)?$/.test(medium)) {
      errors.push(unsupported(child(ep, 'medium'), medium, ['', 'Memory']));
    }
  }
  if (vol.hostPath !== undefined && source === 'hostPath') {
    const hp = child(p, 'hostPath');
    if (vol.hostPath.path === '') {
      errors.push(required(child(hp, 'path')));
    } else {
      errors.push(...noBacksteps(vol.hostPath.path, child(hp, 'path')));
      // The API server allows a relative path (resolved against the kubelet's directory); pod-init does not.
      if (!path.isAbsolute(vol.hostPath.path))
        errors.push(invalid(child(hp, 'path'), vol.hostPath.path, 'must be an absolute path'));
      const type = vol.hostPath.type;
      if (type !== undefined && !hostPathTypes.includes(type))
        errors.push(unsupported(child(hp, 'type'), type, hostPathTypes));
    }
  }
  if (vol.secret !== undefined && source === 'secret') {
    const sp = child(p, 'secret');
    if ((vol.secret.secretName ?? '') === '') errors.push(required(child(sp, 'secretName')));
    errors.push(
      ...validateMode(vol.secret.defaultMode, child(sp, 'defaultMode')),
      ...validateItems(vol.secret.items, sp),
    );
  }
  if (vol.configMap !== undefined && source === 'configMap') {
    const cp = child(p, 'configMap');
    if ((vol.configMap.name ?? '') === '') errors.push(required(child(cp, 'name')));
    errors.push(
      ...validateMode(vol.configMap.defaultMode, child(cp, 'defaultMode')),
      ...validateItems(vol.configMap.items, cp),
    );
  }
  if (vol.downwardAPI !== undefined && source === 'downwardAPI') {
    const dp = child(p, 'downwardAPI');
    errors.push(...validateMode(vol.downwardAPI.defaultMode, child(dp, 'defaultMode')));
    for (const file of vol.downwardAPI.items ?? []) errors.push(...validateDownwardFile(file, dp));
  }
  if (vol.projected !== undefined && source === 'projected') {
    errors.push(...validateProjected(vol.projected, child(p, 'projected'), hasServiceAccount));
  }
  if (vol.persistentVolumeClaim !== undefined && source === 'persistentVolumeClaim') {
    if (vol.persistentVolumeClaim.claimName === '')
      errors.push(required(child(child(p, 'persistentVolumeClaim'), 'claimName')));
  }
  if (vol.image !== undefined && source === 'image' && (vol.image.reference ?? '') === '') {
    errors.push(required(child(child(p, 'image'), 'reference')));
  }
  return errors;
}

/**
 * Validates `spec.volumes` and returns the volumes that are valid by name, which `volumeMounts` may refer to.
 *
 * @example
 * const { errors } = validateVolumes([{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }], 'spec.volumes', false);
 * // spec.volumes[1].name: Duplicate value: "a"
 */
export function validateVolumes(
  volumes: readonly Volume[],
  p: string,
  hasServiceAccount: boolean,
): { errors: FieldError[]; byName: Map<string, Volume> } {
  const errors: FieldError[] = [];
  const byName = new Map<string, Volume>();
  volumes.forEach((vol, i) => {
    const vp = at(p, i);
    const el = validateSource(vol, vp, hasServiceAccount);
    const np = child(vp, 'name');
    if (vol.name === '') el.push(required(np));
    else for (const msg of isDNS1123Label(vol.name)) el.push(invalid(np, vol.name, msg));
    if (byName.has(vol.name)) el.push(duplicate(np, vol.name));
    if (el.length === 0) byName.set(vol.name, vol);
    errors.push(...el);
  });
  return { errors, byName };
}
