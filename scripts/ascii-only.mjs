// Makes a bundle's source ASCII-only without changing what it does, so V8 holds it as a
// one-byte string: Node then reads it with its ASCII fast path (for app.js on the bench machine
// ~10 ms instead of ~55 ms, bench/README.md "App load time"), and V8 scans half the bytes when it
// compiles a function the code cache does not cover. One non-ASCII character anywhere makes the
// whole 2 MB script a two-byte string.
//
// esbuild already escapes non-ASCII in strings and identifiers, but (correctly) not inside
// regular expression literals (validator's alphabet tables, is-unsafe's patterns) or template
// literals (a tag may read the raw text). Here each non-ASCII UTF-16 code unit inside a regular
// expression literal, a string literal or a comment becomes \uXXXX, which those places read as the
// same code unit (with the u or v flag a pair of escaped surrogates is the same code point as
// the pair itself). Template literals and anything else are left as they are and reported, so the
// caller can tell whether the result is ASCII.
import * as acorn from 'acorn';

const escape = (unit) => `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}`;

/** The text of a regular expression or string literal, or a comment, with its non-ASCII escaped. */
function escapeRange(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (text[i] === '\\' && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      // `\é` is an identity escape, the character itself: `\u00E9` replaces both.
      out += next > 0x7f ? escape(next) : text.slice(i, i + 2);
      i++;
    } else {
      out += unit > 0x7f ? escape(unit) : text[i];
    }
  }
  return out;
}

/**
 * `code` (a script) with non-ASCII escaped where that keeps its meaning; `left` counts the
 * non-ASCII code units left in place (template literals, identifiers), 0 when the result is ASCII.
 */
export function asciiOnly(code) {
  if (!/[^\x00-\x7f]/.test(code)) return { code, escaped: 0, left: 0 };
  const ranges = [];
  acorn.parse(code, {
    ecmaVersion: 'latest',
    sourceType: 'script',
    allowHashBang: true,
    onToken(token) {
      if (token.type === acorn.tokTypes.regexp || token.type === acorn.tokTypes.string) ranges.push(token);
    },
    onComment(_block, _text, start, end) {
      ranges.push({ start, end });
    },
  });
  ranges.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  let escaped = 0;
  for (const { start, end } of ranges) {
    const text = code.slice(start, end);
    if (!/[^\x00-\x7f]/.test(text)) continue;
    out += code.slice(at, start) + escapeRange(text);
    escaped += text.match(/[^\x00-\x7f]/g).length;
    at = end;
  }
  out += code.slice(at);
  return { code: out, escaped, left: (out.match(/[^\x00-\x7f]/g) ?? []).length };
}
