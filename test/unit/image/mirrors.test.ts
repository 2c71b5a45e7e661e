import { describe, expect, it } from 'vitest';
import { isRegistryImage } from '../../../src/image/ensure';
import { parseRegistryMirrors } from '../../../src/image/mirrors';
import { mirrorBase } from '../../../src/image/registry';

describe('registry mirrors', () => {
  it('reads DOMAIN=URL and a bare URL (docker.io), in order', () => {
    expect(
      parseRegistryMirrors(['docker.io=http://127.0.0.1:5000', 'https://m.example', 'quay.io=https://q.example/p']),
    ).toEqual(
      new Map([
        ['docker.io', ['http://127.0.0.1:5000', 'https://m.example']],
        ['quay.io', ['https://q.example/p']],
      ]),
    );
    expect(parseRegistryMirrors(['index.docker.io=http://h']).get('docker.io')).toEqual(['http://h']);
  });

  it.each([
    ['docker.io=ftp://x', 'only http and https URLs'],
    ['docker.io=not a url', 'is not a URL'],
    ['bad domain!=http://x', 'is not a registry name'],
    ['docker.io=http://u:p@h', 'no query, fragment or credentials'],
  ])('refuses %j', (value, message) => {
    expect(() => parseRegistryMirrors([value])).toThrow(message);
  });

  it('puts the API under the URL path', () => {
    expect(mirrorBase('http://127.0.0.1:5000')).toBe('http://127.0.0.1:5000/v2');
    expect(mirrorBase('https://m.example/prefix/')).toBe('https://m.example/prefix/v2');
    expect(mirrorBase('https://m.example/v2')).toBe('https://m.example/v2');
  });

  it('pulls a bare name only when its registry has a mirror', () => {
    const mirrors = new Map([['docker.io', ['http://127.0.0.1:5000']]]);
    expect(isRegistryImage('busybox:1')).toBe(false);
    expect(isRegistryImage('busybox:1', mirrors)).toBe(true);
    expect(isRegistryImage('team/app', mirrors)).toBe(true);
    expect(isRegistryImage('quay.io/x/y')).toBe(true);
  });
});
