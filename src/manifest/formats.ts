/**
 * Name and key formats of the Kubernetes API (`k8s.io/apimachinery/pkg/util/validation`): each check returns the
 * API server's messages for a bad value, or an empty list.
 * @module
 */

const dns1123Label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123Subdomain = `${dns1123Label}(\\.${dns1123Label})*`;
const labelKeyName = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValue = `(${labelKeyName})?`;
const envVarName = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const configMapKey = '[-._a-zA-Z0-9]+';
const httpHeaderName = '[-A-Za-z0-9]+';

const whole = (re: string): RegExp => new RegExp(`^(?:${re})$`);
const labelRe = whole(dns1123Label);
const subdomainRe = whole(dns1123Subdomain);

/** `RegexError` of apimachinery: the message, examples and the regular expression. */
function regexError(message: string, re: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${re}')`;
  return `${message} (e.g. ${examples.map((e) => `'${e}', `).join('or ')}regex used for validation is '${re}')`;
}

/**
 * `must be no more than N characters`.
 *
 * @example
 * maxLenError(63); // 'must be no more than 63 characters'
 */
export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/**
 * `must be between lo and hi, inclusive`.
 *
 * @example
 * inclusiveRangeError(1, 65535); // 'must be between 1 and 65535, inclusive'
 */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/**
 * A DNS-1123 label (≤ 63): container, volume and port-less names, hostname, subdomain, namespace.
 *
 * @example
 * isDNS1123Label('web'); // []
 * isDNS1123Label('a.b'); // ['must not contain dots']
 */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!labelRe.test(value)) {
    errs.push(
      subdomainRe.test(value)
        ? 'must not contain dots'
        : regexError(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
            dns1123Label,
            'my-name',
            '123-abc',
          ),
    );
  }
  return errs;
}

/**
 * A DNS-1123 subdomain (≤ 253): object names (Pod, ConfigMap, Secret), node and service account names.
 *
 * @example
 * isDNS1123Subdomain('example.com'); // []
 * isDNS1123Subdomain('Web_1')[0]; // "a lowercase RFC 1123 subdomain must consist of ..."
 */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!subdomainRe.test(value)) {
    errs.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123Subdomain,
        'example.com',
      ),
    );
  }
  return errs;
}

/**
 * An object name that may be a `generateName` prefix: a trailing dash is allowed there (`NameIsDNSSubdomain`,
 * including its masking of the last two characters).
 *
 * @example
 * isObjectName('web-', true); // []
 * isObjectName('web-', false).length; // 1
 */
export function isObjectName(value: string, prefix: boolean): string[] {
  const masked = prefix && value.length > 1 && value.endsWith('-') ? `${value.slice(0, -2)}a` : value;
  return isDNS1123Subdomain(masked);
}

/**
 * A qualified name (label keys, annotation keys, condition types): an optional DNS subdomain prefix and `/`, then a
 * name of at most 63 characters.
 *
 * @example
 * isQualifiedName('app.kubernetes.io/name'); // []
 */
export function isQualifiedName(value: string): string[] {
  const msg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  const parts = value.split('/');
  const errs: string[] = [];
  let name: string;
  if (parts.length === 1) {
    name = parts[0]!;
  } else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [
      `a valid label key ${regexError(msg, labelKeyName, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push('name part must be no more than 63 bytes');
  if (!whole(labelKeyName).test(name))
    errs.push(`name part ${regexError(msg, labelKeyName, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/**
 * A label value: empty, or up to 63 alphanumerics with `-`, `_`, `.` inside.
 *
 * @example
 * isLabelValue('v1.2'); // []
 */
export function isLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push('must be no more than 63 bytes');
  if (!whole(labelValue).test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        labelValue,
        'MyValue',
        'my_value',
        '12345',
      ),
    );
  }
  return errs;
}

/**
 * An IANA service name, the form of a named port (≤ 15, lower case, at least one letter).
 *
 * @example
 * isValidPortName('http'); // []
 * isValidPortName('8080'); // ['must contain at least one letter (a-z)']
 */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.startsWith('-') || port.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

/**
 * A port number, 1 to 65535.
 *
 * @example
 * isValidPortNum(0); // ['must be between 1 and 65535, inclusive']
 */
export function isValidPortNum(port: number): string[] {
  return port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/**
 * A user or group ID, 0 to 2147483647.
 *
 * @example
 * isValidID(-1); // ['must be between 0 and 2147483647, inclusive']
 */
export function isValidID(id: number): string[] {
  return id >= 0 && id <= 2147483647 ? [] : [inclusiveRangeError(0, 2147483647)];
}

/** `hasChDirPrefix`: names that would walk out of a directory. */
function chDirPrefix(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

/**
 * An environment variable name (also an `envFrom` prefix), in the classic rule: letters, digits, `_`, `-`, `.`, not
 * starting with a digit.
 *
 * @example
 * isEnvVarName('MY_VAR'); // []
 * isEnvVarName('1X')[0]; // "a valid environment variable name must consist of ..."
 */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!whole(envVarName).test(value)) {
    errs.push(
      regexError(
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
        envVarName,
        'my.env-name',
        'MY_ENV.NAME',
        'MyEnvName1',
      ),
    );
  }
  return [...errs, ...chDirPrefix(value)];
}

/**
 * A ConfigMap or Secret key (≤ 253; alphanumerics, `-`, `_`, `.`; not `.`, `..` or `..x`).
 *
 * @example
 * isConfigMapKey('app.properties'); // []
 */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!whole(configMapKey).test(value)) {
    errs.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        configMapKey,
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  return [...errs, ...chDirPrefix(value)];
}

/**
 * An HTTP header name of a probe or hook.
 *
 * @example
 * isHTTPHeaderName('X-Probe'); // []
 */
export function isHTTPHeaderName(value: string): string[] {
  if (whole(httpHeaderName).test(value)) return [];
  return [
    regexError("a valid HTTP header must consist of alphanumeric characters or '-'", httpHeaderName, 'X-Header-Name'),
  ];
}
