import { describe, expect, it } from 'vitest';
import {
  defaultPullPolicy,
  ImageReferenceError,
  invalidImageMessage,
  parseReference,
  referenceString,
  registryHost,
} from '../../../src/image/reference';

const digest = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['user/app', 'docker.io/user/app:latest'],
    ['index.docker.io/user/app:v1', 'docker.io/user/app:v1'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['host:5000/x:tag', 'host:5000/x:tag'],
    ['127.0.0.1:5000/a/b/c', '127.0.0.1:5000/a/b/c:latest'],
    ['localhost/x', 'localhost/x:latest'],
    [`busybox@${digest}`, `docker.io/library/busybox@${digest}`],
    [`busybox:1.36@${digest}`, `docker.io/library/busybox@${digest}`],
    ['my-app_x/a__b', 'docker.io/my-app_x/a__b:latest'],
  ])('%s is %s', (input, full) => {
    expect(referenceString(parseReference(input))).toBe(full);
  });

  it('says whether a registry was named', () => {
    expect(parseReference('nginx').explicitDomain).toBe(false);
    expect(parseReference('user/app').explicitDomain).toBe(false);
    expect(parseReference('127.0.0.1:5000/bb:1').explicitDomain).toBe(true);
    expect(parseReference('localhost/bb').explicitDomain).toBe(true);
  });

  it.each([
    ['BUSYBOX', 'invalid reference format: repository name must be lowercase'],
    ['Host.io/UPPER', 'invalid reference format: repository name must be lowercase'],
    ['nginx:', 'invalid reference format'],
    ['nginx:-x', 'invalid reference format'],
    ['a//b', 'invalid reference format'],
    ['-a', 'invalid reference format'],
    ['nginx@sha256:abc', 'invalid checksum digest format'],
    ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
    [`x/${'a'.repeat(260)}`, 'invalid reference format: repository name must not be more than 255 characters'],
    ['', 'invalid reference format: repository name must have at least one component'],
  ])('refuses %j: %s', (input, message) => {
    let error: unknown;
    try {
      parseReference(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ImageReferenceError);
    expect((error as Error).message).toBe(message);
  });

  it('words an unparsable image as the kubelet does', () => {
    expect(invalidImageMessage('BUSYBOX', new ImageReferenceError('invalid reference format'))).toBe(
      'Failed to apply default image tag "BUSYBOX": couldn\'t parse image reference "BUSYBOX": invalid reference format',
    );
  });
});

describe('registryHost and defaultPullPolicy', () => {
  it('talks to registry-1.docker.io for docker.io, to the named host otherwise', () => {
    expect(registryHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });

  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['host:5000/busybox', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['host:5000/busybox:1', 'IfNotPresent'],
    [`busybox@${digest}`, 'IfNotPresent'],
    [`busybox:latest@${digest}`, 'Always'],
  ])('%s defaults to %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });
});
