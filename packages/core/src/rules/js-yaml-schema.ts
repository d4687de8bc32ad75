import { CORE_SCHEMA, NOT_RESOLVED, defineMappingTag, defineScalarTag } from 'js-yaml';

/**
 * Mappings as `yaml` builds them (`toJS`): keys as strings. A key that is null or a collection
 * is refused, so such a text goes to `yaml` (which spells them its own way, and rejects some
 * empty keys that `js-yaml` takes).
 */
const mapTag = defineMappingTag<Record<string, unknown>>('tag:yaml.org,2002:map', {
  create: () => ({}),
  identify: () => false,
  addPair(map, key, value) {
    if (typeof key === 'object') return 'a null or collection key';
    const name = String(key);
    if (name === '__proto__') Object.defineProperty(map, name, { value, enumerable: true, configurable: true, writable: true });
    else map[name] = value;
    return '';
  },
  has: (map, key) => (typeof key === 'string' ? Object.hasOwn(map, key) : typeof key !== 'object' && Object.hasOwn(map, String(key))),
  keys: (map) => Object.keys(map),
  get: (map, key) => map[String(key)],
});

// `yaml`'s YAML 1.2 core numbers, to the letter: `js-yaml` reads a number too large for a
// double (`12e345`, 400 digits) as a string, `yaml` as Infinity.
const NUMBER_FIRST = ['-', '+', '.', ...'0123456789'];

const intTag = defineScalarTag<number>('tag:yaml.org,2002:int', {
  implicit: true,
  implicitFirstChars: NUMBER_FIRST,
  resolve(source) {
    if (/^0o[0-7]+$/.test(source)) return parseInt(source.substring(2), 8);
    if (/^[-+]?[0-9]+$/.test(source)) return parseInt(source, 10);
    if (/^0x[0-9a-fA-F]+$/.test(source)) return parseInt(source.substring(2), 16);
    return NOT_RESOLVED;
  },
  identify: () => false,
});

const floatTag = defineScalarTag<number>('tag:yaml.org,2002:float', {
  implicit: true,
  implicitFirstChars: NUMBER_FIRST,
  resolve(source) {
    if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(source)) {
      return source.slice(-3).toLowerCase() === 'nan' ? NaN : source[0] === '-' ? -Infinity : Infinity;
    }
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(source)) return parseFloat(source);
    if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(source)) return parseFloat(source);
    return NOT_RESOLVED;
  },
  identify: () => false,
});

/**
 * YAML 1.2 core exactly as `yaml` reads it: no timestamps, no merge keys, no binary; numbers
 * and keys as `yaml` makes them.
 */
export const SCHEMA = CORE_SCHEMA.withTags(mapTag, intTag, floatTag);
