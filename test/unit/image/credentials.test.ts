import { describe, expect, it } from 'vitest';
import { credentialsFromPullSecrets, firstCredentials } from '../../../src/image/credentials';

const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const auth = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString('base64');

describe('imagePullSecrets as the kubelet reads them', () => {
  it('reads .dockerconfigjson auths and .dockercfg entries, the first secret that matches winning', () => {
    const { credentials, problems } = credentialsFromPullSecrets([
      { name: 'a', data: { '.dockerconfigjson': json({ auths: { 'reg.example:5000': { auth: auth('a', 'pa') } } }) } },
      {
        name: 'b',
        data: { '.dockercfg': json({ 'https://reg.example:5000/v1/': { username: 'b', password: 'pb' } }) },
      },
      { name: 'c', data: { '.dockercfg': json({ 'https://index.docker.io/v1/': { auth: auth('c', 'p:c') } }) } },
    ]);
    expect(problems).toEqual([]);
    expect(credentials('reg.example:5000')).toEqual({ username: 'a', password: 'pa' });
    expect(credentials('docker.io')).toEqual({ username: 'c', password: 'p:c' });
    expect(credentials('other.example')).toBeUndefined();
  });

  it('says why a secret gives nothing', () => {
    const { problems } = credentialsFromPullSecrets([
      { name: 'opaque', data: { password: Buffer.from('x') } },
      { name: 'broken', data: { '.dockerconfigjson': Buffer.from('{not json') } },
    ]);
    expect(problems).toEqual([
      'secret "opaque" has neither .dockerconfigjson nor .dockercfg',
      'secret "broken": .dockerconfigjson is not JSON',
    ]);
  });

  it('asks the lookups in order', () => {
    const one = (d: string) => (d === 'x' ? { username: '1', password: '' } : undefined);
    const two = () => ({ username: '2', password: '' });
    expect(firstCredentials(one, two)('x')!.username).toBe('1');
    expect(firstCredentials(one, two)('y')!.username).toBe('2');
  });
});
