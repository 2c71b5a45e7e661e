/**
 * Image references as containerd and the kubelet read them (distribution/reference
 * `ParseNormalizedNamed`): `nginx` is `docker.io/library/nginx:latest`, `user/app` is
 * `docker.io/user/app:latest`, `host:5000/x:tag` names its registry, `name@sha256:…` pins a digest
 * (which wins over a tag). docker.io is served by `registry-1.docker.io`.
 * @module
 */

/** A reference that distribution/reference refuses; `message` is its wording. */
export class ImageReferenceError extends Error {
  override name = 'ImageReferenceError';
}

/** A parsed, normalized image reference. */
export interface ImageReference {
  /** The registry as named (`docker.io`, `127.0.0.1:5000`). */
  domain: string;
  /** The repository path inside the registry (`library/nginx`). */
  path: string;
  /** The tag (`latest` when neither tag nor digest was given). */
  tag?: string;
  /** `sha256:<hex>`. */
  digest?: string;
  /** The first path component was a registry (`host:5000/x`, `localhost/x`, `a.b/x`). */
  explicitDomain: boolean;
}

const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainPattern =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * Parses `ref` as containerd does, with the default tag `latest` when there is neither tag nor digest.
 * Throws {@link ImageReferenceError} with distribution/reference's message.
 *
 * @example
 * parseReference('nginx'); // { domain: 'docker.io', path: 'library/nginx', tag: 'latest', explicitDomain: false }
 * parseReference('127.0.0.1:5000/bb:1').domain; // '127.0.0.1:5000'
 */
export function parseReference(ref: string): ImageReference {
  if (ref.length === 0)
    throw new ImageReferenceError('invalid reference format: repository name must have at least one component');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) throw new ImageReferenceError('invalid reference format');
    const [algorithm, hex] = digest.split(':') as [string, string];
    if (algorithm === 'sha256' && !/^[a-f0-9]{64}$/.test(hex))
      throw new ImageReferenceError('invalid checksum digest format');
    if (algorithm !== 'sha256') throw new ImageReferenceError('unsupported digest algorithm');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw new ImageReferenceError('invalid reference format');
  }
  const slash = rest.indexOf('/');
  const first = slash < 0 ? '' : rest.slice(0, slash);
  const explicitDomain =
    slash >= 0 &&
    (first === 'localhost' || first.includes('.') || first.includes(':') || first !== first.toLowerCase());
  let domain = explicitDomain ? first : 'docker.io';
  let path = explicitDomain ? rest.slice(slash + 1) : rest;
  if (explicitDomain && !domainPattern.test(domain)) throw new ImageReferenceError('invalid reference format');
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (path === '') throw new ImageReferenceError('invalid reference format');
  if (path !== path.toLowerCase())
    throw new ImageReferenceError('invalid reference format: repository name must be lowercase');
  if (!path.split('/').every((c) => pathComponent.test(c))) throw new ImageReferenceError('invalid reference format');
  if (/^[a-f0-9]{64}$/.test(path))
    throw new ImageReferenceError(`invalid repository name (${path}), cannot specify 64-byte hexadecimal strings`);
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (domain.length + 1 + path.length > 255)
    throw new ImageReferenceError('invalid reference format: repository name must not be more than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  return {
    domain,
    path,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
    explicitDomain,
  };
}

/**
 * The full name of a reference (`docker.io/library/nginx:latest`, `…@sha256:…` when pinned).
 *
 * @example
 * referenceString(parseReference('nginx')); // 'docker.io/library/nginx:latest'
 */
export function referenceString(ref: ImageReference): string {
  const name = `${ref.domain}/${ref.path}`;
  return ref.digest !== undefined ? `${name}@${ref.digest}` : `${name}:${ref.tag}`;
}

/**
 * The host (and port) pod-init talks to for a registry: docker.io is `registry-1.docker.io`.
 *
 * @example
 * registryHost('docker.io'); // 'registry-1.docker.io'
 */
export function registryHost(domain: string): string {
  return domain === 'docker.io' ? 'registry-1.docker.io' : domain;
}

/**
 * The kubelet's imagePullPolicy default (SetDefaults_Container): a `latest` tag, or neither tag nor
 * digest, is `Always`; anything else `IfNotPresent`. Read from the image string as written.
 *
 * @example
 * defaultPullPolicy('busybox'); // 'Always'
 * defaultPullPolicy('busybox:1.36'); // 'IfNotPresent'
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
  if (tag === 'latest' || (tag === undefined && at < 0)) return 'Always';
  return 'IfNotPresent';
}

/**
 * The kubelet's message for a reference it cannot parse (Waiting `InvalidImageName`).
 *
 * @example
 * invalidImageMessage('BUSYBOX', new ImageReferenceError('invalid reference format: repository name must be lowercase'));
 */
export function invalidImageMessage(image: string, error: ImageReferenceError): string {
  return `Failed to apply default image tag ${JSON.stringify(image)}: couldn't parse image reference ${JSON.stringify(image)}: ${error.message}`;
}
