// ASP.NET-style route templates as Functions uses them: literal segments (case-insensitive),
// `{name}`, optional `{name?}`, catch-all `{*rest}` and inline constraints such as
// `{id:int}`, `{slug:alpha:minlength(3)}` or `{code:regex(^[a-z]+$)}`.
export interface CompiledRoute {
  template: string;
  match(path: string): Record<string, string> | undefined;
}

type Constraint = (value: string) => boolean;

const simpleConstraints: Record<string, Constraint> = {
  int: (v) => /^-?\d+$/.test(v) && Number(v) >= -(2 ** 31) && Number(v) <= 2 ** 31 - 1,
  long: (v) => /^-?\d+$/.test(v),
  double: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  float: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  decimal: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  bool: (v) => /^(true|false)$/i.test(v),
  alpha: (v) => /^[A-Za-z]+$/.test(v),
  guid: (v) => /^\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i.test(v),
  datetime: (v) => !Number.isNaN(Date.parse(v)),
};

function parseConstraint(text: string, template: string): Constraint {
  const call = /^(\w+)\((.*)\)$/s.exec(text);
  if (!call) {
    const simple = simpleConstraints[text.toLowerCase()];
    if (!simple) throw new Error(`Route "${template}": unknown constraint "${text}"`);
    return simple;
  }
  const [, name, args] = call;
  const numbers = args.split(',').map((a) => Number(a.trim()));
  switch (name.toLowerCase()) {
    case 'minlength':
      return (v) => v.length >= numbers[0];
    case 'maxlength':
      return (v) => v.length <= numbers[0];
    case 'length':
      return numbers.length === 2
        ? (v) => v.length >= numbers[0] && v.length <= numbers[1]
        : (v) => v.length === numbers[0];
    case 'min':
      return (v) => /^-?\d+$/.test(v) && Number(v) >= numbers[0];
    case 'max':
      return (v) => /^-?\d+$/.test(v) && Number(v) <= numbers[0];
    case 'range':
      return (v) => /^-?\d+$/.test(v) && Number(v) >= numbers[0] && Number(v) <= numbers[1];
    case 'regex': {
      const pattern = new RegExp(args, 'i');
      return (v) => pattern.test(v);
    }
    default:
      throw new Error(`Route "${template}": unknown constraint "${name}"`);
  }
}

interface Segment {
  literal?: string;
  param?: { name: string; optional: boolean; catchAll: boolean; constraints: Constraint[] };
}

/** Splits a parameter body on ':' but not inside a constraint's parentheses. */
function splitParam(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

export function compileRoute(template: string): CompiledRoute {
  const segments: Segment[] = template
    .split('/')
    .filter((s) => s !== '')
    .map((text) => {
      const param = /^\{(.+)\}$/.exec(text);
      if (!param) return { literal: text.toLowerCase() };
      const [head, ...constraintTexts] = splitParam(param[1]);
      const catchAll = head.startsWith('*');
      const optional = head.endsWith('?');
      const name = head.replace(/^\*+/, '').replace(/\?$/, '');
      const constraints = constraintTexts.map((c) => parseConstraint(c.replace(/\?$/, ''), template));
      return {
        param: {
          name,
          optional: optional || constraintTexts.some((c) => c.endsWith('?')),
          catchAll,
          constraints,
        },
      };
    });

  return {
    template,
    match(path) {
      const parts = path.split('/').filter((s) => s !== '');
      const params: Record<string, string> = {};
      let i = 0;
      for (const segment of segments) {
        if (segment.literal !== undefined) {
          if (parts[i]?.toLowerCase() !== segment.literal) return undefined;
          i++;
          continue;
        }
        const p = segment.param!;
        if (p.catchAll) {
          const rest = parts.slice(i).map(decodeURIComponent).join('/');
          if (rest !== '') params[p.name] = rest;
          i = parts.length;
          continue;
        }
        if (parts[i] === undefined) {
          if (p.optional) continue;
          return undefined;
        }
        let value: string;
        try {
          value = decodeURIComponent(parts[i]);
        } catch {
          return undefined;
        }
        if (!p.constraints.every((c) => c(value))) return undefined;
        params[p.name] = value;
        i++;
      }
      return i === parts.length ? params : undefined;
    },
  };
}
