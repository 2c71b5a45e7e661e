/**
 * `$(VAR)` expansion in command, args and env values, exactly as the kubelet does it
 * (third_party/forked/golang/expansion): `$(NAME)` becomes the value of NAME when it is defined,
 * stays verbatim when it is not; `$$` becomes `$` everywhere (so `$$(X)` is the literal `$(X)`).
 * @module
 */

/**
 * Expands `$(NAME)` references in `input` with `lookup`; unknown names are left as written.
 *
 * @example
 * expand('echo $(GREETING) $$HOME $(NOPE)', (n) => ({ GREETING: 'hi' })[n]); // 'echo hi $HOME $(NOPE)'
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let advance = 1;
    if (rest[0] === '$') {
      out += '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close < 0) {
        out += '$(';
      } else {
        const name = rest.slice(1, close);
        const value = lookup(name);
        out += value ?? `$(${name})`;
        advance = close + 1;
      }
    } else {
      out += `$${rest[0]}`;
    }
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * Resolves an ordered env list the kubelet's way: each value may refer to variables defined
 * *earlier* in the list (or in `base`), later definitions of a name win.
 *
 * @example
 * expandEnvList([{ name: 'A', value: 'x' }, { name: 'B', value: '$(A)-$(C)' }, { name: 'C', value: 'z' }]);
 * // Map { 'A' => 'x', 'B' => 'x-$(C)', 'C' => 'z' }
 */
export function expandEnvList(
  list: ReadonlyArray<{ name: string; value: string }>,
  base: ReadonlyMap<string, string> = new Map(),
): Map<string, string> {
  const env = new Map(base);
  for (const { name, value } of list)
    env.set(
      name,
      expand(value, (ref) => env.get(ref)),
    );
  return env;
}
